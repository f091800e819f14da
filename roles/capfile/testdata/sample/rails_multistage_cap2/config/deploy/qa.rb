server "crm-qa.example.com", :app, :web, :db
set :branch, ENV["BRANCH"] || "develop"
