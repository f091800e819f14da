set :application, "mystery"
set :repository, "git@github.com:acme/mystery.git"
YAML.load_file("config/servers.yml").each do |name, roles|
  server name, *roles
end
