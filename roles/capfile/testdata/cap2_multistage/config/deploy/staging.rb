set :rails_env, "staging"
set :branch, "develop"

server "stage1.example.com", :app, :web, :db, :primary => true
server "stage2.example.com", :app, :web
server "stage-jobs.example.com", :app, :no_release => true
