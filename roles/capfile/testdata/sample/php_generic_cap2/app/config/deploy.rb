set :application, "intranet"
set :domain, "intranet.example.com"
set :deploy_to, "/var/www/#{domain}"
set :repository, "svn+ssh://svn.example.com/intranet/trunk"
set :scm, :subversion
role :web, domain
role :app, domain, :primary => true
set :keep_releases, 3
set :shared_children, %w(uploads cache)

namespace :intranet do
  task :cache_clear, :roles => :app do
    run "rm -rf #{current_path}/cache/*"
  end
  task :shared_links, :roles => :app do
    run "ln -nfs #{shared_path}/uploads #{release_path}/uploads"
  end
end
after "deploy:finalize_update", "intranet:shared_links"
after "deploy:create_symlink", "intranet:cache_clear"
