lock "~> 3.17.1"
set :application, "blog"
set :repo_url, "https://github.com/example/blog.git"
set :branch, ENV.fetch("BRANCH", "main")
set :deploy_to, "/var/www/blog"
set :linked_files, fetch(:linked_files, []).push("config/database.yml", "config/secrets.yml")
set :linked_dirs, fetch(:linked_dirs, []).push("log", "tmp/pids", "public/uploads")
set :passenger_restart_with_touch, true
