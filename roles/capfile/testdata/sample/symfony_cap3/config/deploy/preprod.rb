server "preprod.example.com", user: "deploy", roles: %w{web app db}
set :symfony_env, "preprod"
