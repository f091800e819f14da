set :application, "www"
set :repo_url, "git@github.com:acme/www.git"
set :deploy_to, "/var/www/www.example.com"
set :keep_releases, 10

namespace :site do
  task :build do
    run_locally do
      execute :bundle, "exec", "jekyll", "build"
      info "site built"
    end
  end
  task :upload do
    on roles(:web) do
      upload! "_site", release_path, recursive: true
    end
  end
  task :purge_cache do
    on roles(:web) do
      if test("[ -x /usr/local/bin/purge-cdn ]")
        execute "/usr/local/bin/purge-cdn", "www.example.com"
      else
        warn "no purge-cdn on #{host}"
      end
    end
  end
end
after "deploy:updated", "site:upload"
after "deploy:finished", "site:purge_cache"
