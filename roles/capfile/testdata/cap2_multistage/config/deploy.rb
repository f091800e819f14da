require 'bundler/capistrano'
require 'capistrano/ext/multistage'

set :stages, %w(staging production)
set :default_stage, "staging"

set :application, "billing"
set :repository, "git@git.example.com:billing.git"
set :deploy_via, :remote_cache
set :user, "deployer"
set :port, 2222
set :gateway, "deployer@bastion.example.com"
set :max_hosts, 50

ssh_options[:keys] = %w(~/.ssh/deploy_rsa ~/.ssh/id_rsa)
ssh_options[:forward_agent] = true
ssh_options[:paranoid] = true
default_run_options[:pty] = true

before :deploy, "deploy:check"
after "deploy:update", "deploy:cleanup"

namespace :deploy do
  task :restart, :roles => :app do
    sudo "/etc/init.d/billing restart"
  end
end
