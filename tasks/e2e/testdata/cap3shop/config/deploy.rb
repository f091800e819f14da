# config valid for current version and patch releases of Capistrano
lock '~> 3.18.0'

set :application, 'shop'
set :repo_url, ENV['REPO_URL']
set :deploy_to, '/tmp/app'
set :keep_releases, 3
set :rails_env, 'production'

append :linked_dirs, 'log'
