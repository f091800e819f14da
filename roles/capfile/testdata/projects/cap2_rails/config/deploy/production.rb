role :app, "p01.example.com", "p02.example.com"
role :web, "p01.example.com"
role :db,  "pdb.example.com", :primary => true
set :branch, "master"
