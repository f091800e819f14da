# config valid for current version and patch releases of Capistrano
lock "~> 3.17.1"

set :application, "blog"
set :repo_url, "git@example.com:me/blog.git"

# Default branch is :master
# ask :branch, `git rev-parse --abbrev-ref HEAD`.chomp
set :branch, ENV.fetch("BRANCH", "main")

# Default deploy_to directory is /var/www/my_app_name
# set :deploy_to, "/var/www/my_app_name"

append :linked_files, "config/database.yml", "config/master.key"
append :linked_dirs, "log", "tmp/pids", "tmp/cache", "tmp/sockets", "public/system"

set :keep_releases, 5
set :ssh_options, { forward_agent: false, auth_methods: %w(publickey) }

before 'deploy:starting', 'murder:start_tracker'
after 'deploy:finished', 'murder:stop_tracker'

namespace :deploy do
  after :publishing, :restart
  after :restart, :clear_cache do
    on roles(:web), in: :groups, limit: 3, wait: 10 do
      within release_path do
        execute :rake, 'cache:clear'
      end
    end
  end
end
