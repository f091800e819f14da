server "inv.example.com", user: "deploy", roles: %w{app web db}
