set :application, "forms"
set :repo_url, "git@example.com:forms.git"
set :deploy_to, "/srv/forms"
set :log_dir, "log"

desc "Top-level task"
task :ping do
  on roles(:all) do
    execute :uptime
  end
end

namespace :forms do
  namespace :cache do
    task :clear do
      on primary :db do
        as :deploy do
          execute :rm, "-rf", "#{release_path}/tmp/cache"
        end
        as user: "www-data" do
          execute "find #{shared_path}/tmp -mmin +60 -delete"
        end
      end
    end
  end

  task :check do
    on release_roles(:all), in: :groups, limit: 3 do
      execute :ls, current_path.join("REVISION") if test(:test, "-e", current_path.join("REVISION"))
      unless test("[ -d #{shared_path}/#{fetch(:log_dir)} ]")
        execute :mkdir, "-p", "#{shared_path}/#{fetch(:log_dir)}"
      end
      debug "checked"
      execute :echo, fetch(:greeting, "hello")
    end
  end

  task :fetch_logs do
    on roles(:app) do
      download! "#{shared_path}/log/production.log", "tmp/production.log"
    end
  end

  task :local do
    run_locally do
      info "building"
      execute "make release"
    end
    invoke "forms:check"
  end

  task :retry_loop do
    on roles(:app) do
      3.times { execute :true }
    end
  end
end

after "deploy:published", "forms:cache:clear"
before "deploy:starting", "ping"

namespace :deploy do
  after :finishing, :notify do
    on roles(:app), in: :sequence do
      execute :logger, "deployed #{fetch(:application)}"
    end
  end

  task full_check: [:notify, "forms:check"] do
    on roles(:db) do
      execute :uptime
    end
  end

  task :greet, [:name] do |t, args|
    on roles(:app) do
      execute :echo, args[:name]
    end
  end
end
