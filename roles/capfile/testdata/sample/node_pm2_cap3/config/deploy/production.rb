server "chat1.example.com", user: "node", roles: %w{app}
server "chat2.example.com", user: "node", roles: %w{app}
