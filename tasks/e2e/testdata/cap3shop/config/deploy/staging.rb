server ENV['STAGING_HOST'], user: 'root', roles: %w{app db}, primary: true
set :rails_env, 'staging'
