set :application, "shop-api"
set :repo_url, "git@github.com:acme/shop-api.git"
set :deploy_to, -> { "/srv/#{fetch(:application)}" }
set :symfony_env, "prod"
set :file_permissions_users, ["www-data"]
set :linked_files, ["app/config/parameters.yml"]
set :linked_dirs, ["var/logs", "var/sessions", "web/uploads"]

namespace :deploy do
  task :clear_opcache do
    on roles(:web) do
      execute :sudo, :systemctl, :reload, "php7.4-fpm"
    end
  end
  task :warmup do
    on roles(:app) do
      within release_path do
        with symfony_env: fetch(:symfony_env) do
          execute :php, "bin/console", "cache:warmup"
        end
      end
    end
  end
  after :published, :clear_opcache
  after :updated, :warmup
end
