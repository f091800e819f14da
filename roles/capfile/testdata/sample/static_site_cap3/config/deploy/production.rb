server "www1.example.com", user: "deploy", roles: %w{web}
server "www2.example.com", user: "deploy", roles: %w{web}
