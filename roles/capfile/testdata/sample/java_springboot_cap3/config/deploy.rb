set :application, "orders"
set :repo_url, "git@github.com:acme/orders.git"
set :deploy_to, "/opt/orders"
set :jar_name, "orders.jar"

namespace :app do
  task :build do
    run_locally do
      execute "./gradlew", "bootJar"
    end
  end
  task :upload_jar do
    on roles(:app) do
      upload! "build/libs/#{fetch(:jar_name)}", "#{release_path}/#{fetch(:jar_name)}"
    end
  end
  task :restart do
    on roles(:app), in: :groups, limit: 1, wait: 20 do
      execute :sudo, :systemctl, :restart, "orders"
    end
  end
end
before "deploy:updated", "app:build"
after "deploy:updated", "app:upload_jar"
after "deploy:published", "app:restart"
