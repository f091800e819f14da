module github.com/pion/webrtc/v4

go 1.21

require github.com/pion/logging v0.2.3

require github.com/pion/datachannel v1.5.9
