require "bundler/capistrano"
set :application, "forum"
set :repository, "git@github.com:acme/forum.git"
set :scm, :git
set :branch, "master"
set :user, "deploy"
set :deploy_to, "/u/apps/#{application}"
set :use_sudo, false
set :deploy_via, :remote_cache
set :keep_releases, 3
default_run_options[:pty] = true
ssh_options[:forward_agent] = true

role :web, "forum1.example.com", "forum2.example.com"
role :app, "forum1.example.com", "forum2.example.com"
role :db,  "forum-db.example.com", :primary => true

set :unicorn_config, "#{current_path}/config/unicorn.rb"
set :unicorn_pid, "#{shared_path}/pids/unicorn.pid"

namespace :deploy do
  task :start, :roles => :app, :except => { :no_release => true } do
    run "cd #{current_path} && bundle exec unicorn_rails -c #{unicorn_config} -E production -D"
  end
  task :stop, :roles => :app, :except => { :no_release => true } do
    run "kill -QUIT `cat #{unicorn_pid}`"
  end
  task :restart, :roles => :app, :except => { :no_release => true } do
    run "kill -s USR2 `cat #{unicorn_pid}`"
  end
  task :symlink_config, :roles => :app do
    run "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml"
  end
end
after "deploy:finalize_update", "deploy:symlink_config"
after "deploy", "deploy:cleanup"
