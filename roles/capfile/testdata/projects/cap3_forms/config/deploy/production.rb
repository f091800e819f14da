server "f1.example.com", user: "deploy", roles: %w{app db web}, primary: true
server ENV["EXTRA_HOST"] || "f2.example.com", user: "deploy", roles: %w{app web}
