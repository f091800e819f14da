server "stage1.example.com", :app, :web, :db, :primary => true
set :branch, "develop"
set :rails_env, "staging"
