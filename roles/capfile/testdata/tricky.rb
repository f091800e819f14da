# -*- ruby -*-  Real-world-shaped quoting and Ruby forms.
=begin
This block comment is skipped entirely:
role :app, "commented-out.example.com"
=end
set(:application, 'wid' "gets")          # adjacent literals: "widgets"
set :user, 'deploy'; set :port, 2222     # two statements on one line
set :deploy_to, "/home/#{user}/apps/#{fetch(:application)}"
set :repository, %q{git@example.com:team/#{not-interpolated}.git}
set :branch, "release-#{Time.now.strftime('%Y%m%d')}"
set :copy_exclude, %w[.git spec\ data *.md]
set :default_destination_path, "#{deploy_to}/current"
set :default_tag, :"widgets-#{application}"
set :restart_command, "sudo systemctl restart 'widgets'\t# not a comment"
set :scm_command, ENV['GIT'] || '/usr/bin/git'
set :real_revision, `git rev-parse HEAD`.strip
set :shared_children, %w(log tmp)
set :keep_releases, lambda { 3 }
set :max_hosts, 25 if ENV['SLOW']
set :default_temp_path, "#{release_path}/tmp"

web_hosts = %w(web1.example.com web2.example.com)
role :web, *web_hosts
role :app, *web_hosts, "app-1.example.com:2201"
role(:db) { "db-#{rand(3)}.example.com" }
role :search, 'search.example.com', 'bad host.example.com'
server "[2001:db8::7]:2222", :cache
role :app, "Deploy@upper.example.com"

ssh_options[:keys] = [
  "~/.ssh/widgets",     # a comment inside a list
  '~/.ssh/id_ed25519',
]
ssh_options[:user_known_hosts_file] = "/etc/ssh/widgets_known_hosts"

desc <<-DESC
  Tail the production log.
  Usage: cap tail
DESC
task :tail, :roles => :app do
  run "tail -f #{shared_path}/log/production.log" do |channel, stream, data|
    puts "#{channel[:host]}: #{data}"
  end
end

if ENV['CANARY']
  role :canary, "canary.example.com"
end

before "deploy:update_code", "widgets:check", :only => { :primary => true }
after "deploy:symlink" do
  run "echo done"
end

__END__
role :app, "after-end.example.com"
