set :application, "inventory"
set :repo_url, "git@github.com:acme/inventory.git"
set :deploy_to, "/srv/inventory"
