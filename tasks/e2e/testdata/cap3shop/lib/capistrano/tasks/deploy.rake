namespace :deploy do
  desc 'Restart the application servers one by one'
  task :restart do
    on roles(:app), in: :sequence, wait: 1 do
      within release_path do
        execute :mkdir, '-p', 'tmp'
        execute :touch, 'tmp/restart.txt'
      end
    end
  end

  desc 'Run the database migrations'
  task :migrate do
    on primary(:db) do
      within release_path do
        with rails_env: fetch(:rails_env) do
          execute 'bin/rake', 'db:migrate'
        end
      end
    end
  end

  after :updated, :migrate
  after :publishing, :restart
end
