server "inv-stage.example.com", user: "deploy", roles: %w{app web db}
