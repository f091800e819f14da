server "web1.example.com", user: "deploy", roles: %w{web app db}
server "worker1.example.com", user: "deploy", roles: %w{worker}
server "worker2.example.com", user: "deploy", roles: %w{worker}
