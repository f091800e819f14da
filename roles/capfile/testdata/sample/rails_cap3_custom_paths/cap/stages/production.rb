server "ledger1.example.com", user: "deploy", roles: %w{app web db}
