set :application, "billing-service"
set :repository, "."
set :scm, :none
set :deploy_via, :copy
set :copy_exclude, ["src", "target/classes"]
set :deploy_to, "/opt/#{application}"
set :user, "tomcat"
set :port, 2222
set :tomcat_home, "/usr/share/tomcat7"
role :app, "java1.example.com", "java2.example.com"

namespace :tomcat do
  task :stop, :roles => :app do
    sudo "service tomcat7 stop"
  end
  task :start, :roles => :app do
    sudo "service tomcat7 start"
  end
  task :deploy_war, :roles => :app, :max_hosts => 1 do
    upload "target/billing.war", "#{tomcat_home}/webapps/billing.war"
  end
end
before "deploy:update", "tomcat:stop"
after "deploy:update", "tomcat:deploy_war"
after "tomcat:deploy_war", "tomcat:start"
