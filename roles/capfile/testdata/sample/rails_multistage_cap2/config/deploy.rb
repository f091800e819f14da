set :stages, %w(production staging qa)
set :default_stage, "qa"
require 'capistrano/ext/multistage'
set :application, "crm"
set :repository, "git@git.example.com:crm.git"
set :user, "deploy"
set :rails_env, "production"
set :deploy_to, "/srv/#{application}"

namespace :deploy do
  desc "Restart passenger"
  task :restart, :roles => :app, :except => { :no_release => true } do
    run "touch #{current_path}/tmp/restart.txt"
  end
  desc "Run migrations on the primary database server"
  task :migrate_primary, :roles => :db, :only => { :primary => true } do
    run "cd #{release_path} && bundle exec rake db:migrate RAILS_ENV=#{rails_env}"
  end
end

namespace :maintenance do
  task :on, :roles => :web do
    put File.read("public/maintenance.html"), "#{shared_path}/system/maintenance.html"
  end
  task :off, :roles => :web do
    run "rm -f #{shared_path}/system/maintenance.html"
  end
end
before "deploy:update_code", "maintenance:on"
after "deploy:restart", "maintenance:off"
after "deploy:update_code", "deploy:migrate_primary"
