lock "~> 3.17"
set :application, "portal"
set :repo_url, "git@bitbucket.org:acme/portal.git"
set :deploy_to, "/var/www/portal"
set :linked_files, %w{.env}
set :linked_dirs, %w{storage vendor node_modules}
set :keep_releases, 4

namespace :composer do
  desc "Install dependencies"
  task :install do
    on roles(:app) do
      within release_path do
        execute :composer, "install", "--no-dev", "--prefer-dist", "--optimize-autoloader"
      end
    end
  end
end

namespace :laravel do
  task :migrate do
    on roles(:db) do
      within release_path do
        execute :php, "artisan", "migrate", "--force"
      end
    end
  end
  task :cache do
    on roles(:app) do
      within release_path do
        execute :php, "artisan", "config:cache"
        execute :php, "artisan", "route:cache"
      end
    end
  end
  task :permissions do
    on roles(:app) do
      execute :chmod, "-R", "775", "#{shared_path}/storage"
      execute :sudo, :chown, "-R", "deploy:www-data", "#{shared_path}/storage"
    end
  end
end

namespace :deploy do
  task :restart do
    on roles(:app) do
      execute :sudo, :service, "php8.1-fpm", :reload
    end
  end
  after :updated, "composer:install"
  after :updated, "laravel:migrate"
  after :updated, "laravel:cache"
  after :published, "laravel:permissions"
  after :publishing, :restart
end
