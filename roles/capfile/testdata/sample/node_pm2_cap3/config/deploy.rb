set :application, "chat"
set :repo_url, "git@github.com:acme/chat.git"
set :deploy_to, "/opt/chat"
set :linked_files, %w{.env}
set :linked_dirs, %w{node_modules logs}
set :npm_flags, "--production --silent"

namespace :pm2 do
  desc "Restart the app with pm2"
  task :restart do
    on roles(:app) do
      within current_path do
        execute :pm2, "reload", "ecosystem.config.js", "--env", fetch(:stage)
      end
    end
  end
  task :status do
    on roles(:app) do
      execute :pm2, "status"
    end
  end
end

namespace :deploy do
  task :build do
    on roles(:app) do
      within release_path do
        execute :npm, "run", "build"
      end
    end
  end
  after :updated, :build
  after :publishing, "pm2:restart"
end
