set :application, "api-gateway"
set :scm, :git
set :repository, "git@github.com:acme/api-gateway.git"
set :user, "node"
set :deploy_to, "/home/node/#{application}"
set :node_env, "production"
set :node_binary, "/usr/bin/node"
role :app, "gw1.example.com", "gw2.example.com"

namespace :node do
  task :npm_install, :roles => :app, :except => { :no_release => true } do
    run "cd #{release_path} && npm install --production"
  end
  task :start, :roles => :app do
    run "cd #{current_path} && NODE_ENV=#{node_env} forever start app.js"
  end
  task :stop, :roles => :app do
    run "cd #{current_path} && forever stop app.js"
  end
end
namespace :deploy do
  task :restart, :roles => :app do
    run "cd #{current_path} && forever restart app.js"
  end
end
after "deploy:finalize_update", "node:npm_install"
