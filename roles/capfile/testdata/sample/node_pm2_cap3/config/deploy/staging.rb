server "chat-stage.example.com", user: "node", roles: %w{app}
