namespace :db do
  desc "Seed the database"
  task :seed do
    on primary(:db) do
      within release_path do
        with rails_env: fetch(:rails_env) do
          execute :rake, "db:seed"
        end
      end
    end
  end

  desc "Back up the database"
  task :backup do
    on roles(:db) do
      execute :mkdir, "-p", "#{shared_path}/backups"
      execute "pg_dump blog_production > #{shared_path}/backups/blog-#{Time.now.to_i}.sql"
    end
  end
end
before "deploy:migrate", "db:backup"
