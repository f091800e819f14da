set :application, "blog"
set :repository, "git@github.com:acme/wp-blog.git"
set :scm, :git
set :deploy_to, "/var/www/#{application}"
set :deploy_via, :remote_cache
set :user, "www"
set :use_sudo, false
set :copy_exclude, [".git", ".DS_Store", "wp-config-local.php"]
server "blog.example.org", :app, :web, :db, :primary => true

namespace :wordpress do
  desc "Link the uploads directory and the config"
  task :symlinks, :roles => :web do
    run "ln -nfs #{shared_path}/uploads #{release_path}/wp-content/uploads"
    run "ln -nfs #{shared_path}/wp-config.php #{release_path}/wp-config.php"
  end
  task :permissions, :roles => :web do
    sudo "chown -R www-data:www-data #{shared_path}/uploads"
  end
end
after "deploy:symlink", "wordpress:symlinks"
after "wordpress:symlinks", "wordpress:permissions"
after "deploy", "deploy:cleanup"
namespace :deploy do
  task :restart do
    sudo "service apache2 reload"
  end
end
