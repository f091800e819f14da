lock "~> 3.17.0"

set :application, "storefront"
set :repo_url, "git@github.com:acme/storefront.git"
set :deploy_to, ENV.fetch("DEPLOY_TO", "/srv/storefront")
set :keep_releases, 5
set :rails_env, "production"
set :linked_files, %w{config/database.yml config/master.key}
append :linked_dirs, "log", "tmp/pids", "public/system"

namespace :deploy do
  desc "Restart application"
  task :restart do
    on roles(:app), in: :sequence, wait: 5 do
      execute :touch, release_path.join("tmp/restart.txt")
    end
  end

  desc "Run seeds"
  task :seed do
    on primary(:db) do
      within release_path do
        with rails_env: fetch(:rails_env) do
          execute :rake, "db:seed"
        end
      end
    end
  end

  after :publishing, :restart
  after :finishing, "deploy:cleanup"
end
