set :application, "jobs"
set :repo_url, "git@github.com:acme/jobs.git"
set :deploy_to, ENV["DEPLOY_TO"] || "/srv/jobs"
set :sidekiq_roles, :worker
append :linked_dirs, "log", "tmp/pids"

namespace :sidekiq do
  task :quiet_all do
    on roles(:worker) do
      execute :sudo, :systemctl, :kill, "-s", "TSTP", "sidekiq"
    end
  end
  task :restart_all do
    on roles(:worker), in: :sequence do
      execute :sudo, :systemctl, :restart, "sidekiq"
    end
  end
end
after "deploy:starting", "sidekiq:quiet_all"
after "deploy:published", "sidekiq:restart_all"
