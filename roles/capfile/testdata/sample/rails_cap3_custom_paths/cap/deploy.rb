set :application, "ledger"
set :repo_url, "git@github.com:acme/ledger.git"
set :deploy_to, "/srv/ledger"
namespace :deploy do
  task :restart do
    on roles(:app) do
      execute :touch, release_path.join("tmp/restart.txt")
    end
  end
  after :publishing, :restart
end
