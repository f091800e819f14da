set :application, "reports"
set :repo_url, "git@github.com:acme/reports.git"
set :deploy_to, "/srv/reports"
set :whenever_identifier, ->{ "#{fetch(:application)}_#{fetch(:stage)}" }
set :rails_env, "production"

namespace :reports do
  desc "Clear the report cache"
  task :clear_cache do
    on roles(:app) do
      within release_path do
        with rails_env: fetch(:rails_env) do
          execute :bundle, "exec", "rails", "runner", "Rails.cache.clear"
        end
      end
    end
  end
  desc "Show the deployed revision"
  task :revision do
    on roles(:app) do
      rev = capture(:cat, "#{current_path}/REVISION")
      info "deployed #{rev}"
    end
  end
end
after "deploy:published", "reports:clear_cache"
