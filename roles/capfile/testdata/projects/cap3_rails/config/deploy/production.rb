server "app1.example.com", user: "deploy", roles: %w{app db web}
server "app2.example.com", user: "deploy", roles: %w{app web}
set :branch, "main"
