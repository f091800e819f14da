set :application, "helpdesk"
set :repository, "git@github.com:acme/helpdesk.git"
set :user, "deploy"
set :gateway, "deploy@bastion.example.com"
set :deploy_to, "/srv/helpdesk"
set :assets_role, [:web]
role :web, "hd-web1.internal", "hd-web2.internal"
role :app, "hd-app1.internal"
role :db, "hd-db.internal", :primary => true, :no_release => true

namespace :deploy do
  namespace :web do
    task :disable, :roles => :web, :except => { :no_release => true } do
      on_rollback { run "rm #{shared_path}/system/maintenance.html" }
      require 'erb'
      template = File.read("./app/views/layouts/maintenance.html.erb")
      result = ERB.new(template).result(binding)
      put result, "#{shared_path}/system/maintenance.html", :mode => 0644
    end
    task :enable, :roles => :web, :except => { :no_release => true } do
      run "rm -f #{shared_path}/system/maintenance.html"
    end
  end
  task :restart, :roles => :app, :except => { :no_release => true } do
    run "#{try_sudo} touch #{File.join(current_path,'tmp','restart.txt')}"
  end
end
before "deploy:migrations", "deploy:web:disable"
after "deploy:migrations", "deploy:web:enable"
