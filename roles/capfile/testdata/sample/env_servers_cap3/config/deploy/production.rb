role :app, *ENV["APP_SERVERS"].split(","), user: "deploy"
server ENV["DB_HOST"], user: "deploy", roles: %w{db}
set :ssh_options, { keys: [ENV["DEPLOY_KEY"]], forward_agent: false, user: "deploy" }
