set :application, "survey"
set :repository, "git@github.com:acme/survey.git"
set :scm, :git
set :deploy_to, "/home/survey/app"
set :user, "survey"
set :virtualenv, "/home/survey/venv"
server "survey.example.com", :app, :web, :db, :primary => true

namespace :django do
  task :requirements, :roles => :app do
    run "#{virtualenv}/bin/pip install -r #{release_path}/requirements.txt"
  end
  task :migrate, :roles => :db, :only => { :primary => true } do
    run "cd #{release_path} && #{virtualenv}/bin/python manage.py migrate --noinput"
  end
  task :collectstatic, :roles => :web do
    run "cd #{release_path} && #{virtualenv}/bin/python manage.py collectstatic --noinput"
  end
end
namespace :deploy do
  task :restart, :roles => :app do
    sudo "supervisorctl restart survey"
  end
end
after "deploy:update_code", "django:requirements", "django:migrate", "django:collectstatic"
