server "staging.example.com", user: "deploy", roles: %w{app db web}
set :branch, ENV["BRANCH"] || "develop"
set :rails_env, "staging"
