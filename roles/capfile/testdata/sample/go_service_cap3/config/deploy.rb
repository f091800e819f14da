set :application, "metrics"
set :repo_url, "git@github.com:acme/metrics.git"
set :deploy_to, "/opt/metrics"
set :keep_releases, 3

namespace :metrics do
  task :build do
    run_locally do
      execute :go, "build", "-o", "bin/metrics", "./cmd/metrics"
    end
  end
  task :push do
    on roles(:app), in: :parallel do
      upload! "bin/metrics", "#{release_path}/bin/metrics"
      execute :chmod, "+x", "#{release_path}/bin/metrics"
    end
  end
  task :check do
    on roles(:app) do
      execute :curl, "-sf", "http://localhost:9100/health" unless test(:pgrep, "metrics")
    end
  end
end
namespace :deploy do
  task :restart do
    on roles(:app) do
      execute :sudo, :systemctl, :restart, :metrics
    end
  end
  before :updated, "metrics:build"
  after :updated, "metrics:push"
  after :publishing, :restart
  after :finished, "metrics:check"
end
