require 'bundler/capistrano'
set :stages, %w(staging production)
set :default_stage, "staging"
require 'capistrano/ext/multistage'

set :application, "billing"
set :repository,  "git@github.com:acme/billing.git"
set :scm, :git
set :user, "deploy"
set :use_sudo, false
set :deploy_to, "/u/apps/#{application}"
set :rails_env, "production"
set :unicorn_pid, "#{shared_path}/pids/unicorn.pid"

after "deploy:update_code", "deploy:symlink_shared"
after "deploy:update_code", "deploy:migrate"
after "deploy", "deploy:cleanup"
before "deploy:symlink_shared", "app:check"

namespace :deploy do
  desc "Link shared config"
  task :symlink_shared, :roles => [:app, :web], :except => { :no_release => true } do
    run "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml"
    run "ln -nfs #{shared_path}/uploads #{release_path}/public/uploads"
  end

  task :restart, :roles => :app, :except => { :no_release => true } do
    run "kill -USR2 `cat #{unicorn_pid}`"
  end

  desc "Seed the database"
  task :seed, :roles => :db, :only => { :primary => true } do
    run "cd #{current_path} && bundle exec rake db:seed RAILS_ENV=#{rails_env}"
  end
end

namespace :app do
  task :check, :once => true do
    run_locally "git diff --quiet"
    rev = capture("cat #{current_path}/REVISION")
    sudo "service nginx reload", :roles => :web, :max_hosts => 1
    put "maintenance", "#{shared_path}/system/maintenance.txt"
    upload "config/newrelic.yml", "#{shared_path}/config/newrelic.yml", :via => :scp
  end

  task :tail_logs, :roles => :app do
    run "tail -f #{shared_path}/log/#{rails_env}.log" do |channel, stream, data|
      puts "#{channel[:host]}: #{data}"
    end
  end
end
