server "crm-staging.example.com", :app, :web, :db, :primary => true
set :branch, "staging"
set :rails_env, "staging"
