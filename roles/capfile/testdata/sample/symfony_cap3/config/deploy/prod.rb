server "api1.example.com", user: "deploy", roles: %w{web app db}
server "api2.example.com", user: "deploy", roles: %w{web app}
