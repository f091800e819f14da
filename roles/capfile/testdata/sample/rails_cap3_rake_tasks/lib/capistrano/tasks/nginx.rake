namespace :nginx do
  %w(start stop restart reload).each do |command|
    desc "#{command} nginx"
    task command do
      on roles(:web) do
        execute :sudo, :service, :nginx, command
      end
    end
  end
  task :config do
    on roles(:web) do
      as :root do
        upload! "config/nginx.conf", "/etc/nginx/sites-enabled/inventory"
      end
    end
  end
end
after "deploy:finished", "nginx:reload"
