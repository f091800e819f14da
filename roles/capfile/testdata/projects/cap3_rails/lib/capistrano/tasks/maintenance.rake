namespace :maintenance do
  desc "Put up the maintenance page"
  task :enable do
    on roles(:web) do
      upload! "config/maintenance.html", "#{shared_path}/public/system/maintenance.html"
      info "maintenance page up on #{fetch(:application)}"
    end
  end

  task :disable do
    on roles(:web), in: :groups, limit: 2, wait: 3 do
      if test("[ -f #{shared_path}/public/system/maintenance.html ]")
        execute :rm, "#{shared_path}/public/system/maintenance.html"
      end
    end
  end

  task :status do
    run_locally do
      execute :curl, "-sf", "https://example.com/up"
    end
    on roles(:app) do |host|
      rev = capture(:cat, "#{current_path}/REVISION")
      info "#{host} runs #{rev}"
    end
  end
end
before "deploy:starting", "maintenance:enable"
