server "reports.example.com", user: "deploy", roles: %w{app db web}
