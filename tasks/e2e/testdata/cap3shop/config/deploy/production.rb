server ENV['APP1'], user: 'root', roles: %w{app db}, primary: true
server ENV['APP2'], user: 'root', roles: %w{app}
server ENV['APP3'], user: 'root', roles: %w{app db}
