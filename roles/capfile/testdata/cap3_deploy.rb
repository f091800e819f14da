lock '3.11.0'

set :application, 'api'
set :repo_url, 'git@github.com:example/api.git'
set :deploy_to, "/srv/#{fetch(:application)}"
set :branch, 'production'
set :linked_dirs, %w{log tmp/pids tmp/sockets vendor/bundle}
set :linked_files, fetch(:linked_files, []).push('config/secrets.yml')
set :keep_releases, 10

server 'api1.example.net', user: 'deploy', roles: %w{app web}, primary: true
server 'api2.example.net', user: 'deploy', roles: %w{app web}
server 'db.example.net', user: 'deploy', roles: [:db], no_release: true, port: 2200

set :ssh_options, {
  keys: %w(~/.ssh/api_deploy),
  forward_agent: true,
  user: 'deploy'
}

namespace :deploy do
  desc 'Restart application'
  task :restart do
    on roles(:app), in: :sequence, wait: 5 do
      execute :touch, release_path.join('tmp/restart.txt')
    end
  end

  after :publishing, :restart
  after :finishing, 'deploy:cleanup'
end
