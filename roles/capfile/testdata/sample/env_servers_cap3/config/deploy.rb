set :application, "edge"
set :repo_url, ENV["REPO_URL"]
set :deploy_to, "/srv/edge"
set :branch, ENV.fetch("BRANCH", "main")
