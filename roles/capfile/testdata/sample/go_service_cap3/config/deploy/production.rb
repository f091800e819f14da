server "m1.example.com", user: "deploy", roles: %w{app}
server "m2.example.com", user: "deploy", roles: %w{app}
