# server-based syntax
# ======================
server "app1.example.com", user: "deploy", roles: %w{app db web}, primary: true
server "app2.example.com", user: "deploy", roles: %w{app web}
server "10.0.0.12", user: "deploy", roles: %w{app}, port: 2222
server "worker.example.com", roles: [:app], no_release: true

# role-based syntax
# ==================
role :web, %w{deploy@app3.example.com}

set :ssh_options, {
  keys: %w(/home/deploy/.ssh/id_ed25519),
  forward_agent: false,
  auth_methods: %w(publickey password),
  user: "deploy",
  port: 22,
  verify_host_key: :accept_new
}
