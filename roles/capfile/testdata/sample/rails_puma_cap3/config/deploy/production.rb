server "203.0.113.10", user: "deploy", roles: %w{app db web}
