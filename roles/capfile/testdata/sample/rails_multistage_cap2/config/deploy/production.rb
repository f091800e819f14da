role :app, "crm1.example.com", "crm2.example.com"
role :web, "crm1.example.com"
role :db, "crmdb.example.com", :primary => true
set :branch, "production"
