server "ledger-sandbox.example.com", user: "deploy", roles: %w{app web db}
