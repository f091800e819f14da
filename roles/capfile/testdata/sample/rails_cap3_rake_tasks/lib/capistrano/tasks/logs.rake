namespace :logs do
  desc "Tail the production log"
  task :tail do
    on roles(:app) do
      execute "tail -n 100 #{shared_path}/log/production.log"
    end
  end
  task :download do
    on roles(:app) do |host|
      download! "#{shared_path}/log/production.log", "log/#{host}.log"
    end
  end
end
