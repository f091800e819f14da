module github.com/anacrolix/upnp

go 1.21

require github.com/anacrolix/log v0.14.2
