server "blog.example.com", user: "deploy", roles: %w{web app db}
