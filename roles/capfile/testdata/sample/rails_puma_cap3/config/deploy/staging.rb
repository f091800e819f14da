server "203.0.113.20", user: "deploy", roles: %w{app db web}
set :branch, "develop"
