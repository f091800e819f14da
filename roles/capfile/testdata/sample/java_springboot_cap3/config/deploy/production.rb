server "orders1.internal", user: "deploy", roles: %w{app}
server "orders2.internal", user: "deploy", roles: %w{app}
