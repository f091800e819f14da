package roles

import (
	"strings"
	"testing"
)

func TestParseServer(t *testing.T) {
	tests := []struct {
		in       string
		user     string
		host     string
		port     int
		errMatch string // substring of the error; "" means success
	}{
		{in: "w01", host: "w01"},
		{in: "w01.example.com", host: "w01.example.com"},
		{in: "deploy@w01.example.com:2222", user: "deploy", host: "w01.example.com", port: 2222},
		{in: "w01:22", host: "w01", port: 22},
		{in: "_svc.deploy-1@host_1", user: "_svc.deploy-1", host: "host_1"},
		{in: "10.0.0.1:65535", host: "10.0.0.1", port: 65535},
		{in: "[::1]:22", host: "::1", port: 22},
		{in: "[::1]", host: "::1"},
		{in: "root@[2001:db8::7]:2200", user: "root", host: "2001:db8::7", port: 2200},
		{in: "[fe80::1%eth0]:22", host: "fe80::1%eth0", port: 22},
		{in: "", errMatch: "empty server"},
		{in: "w01:", errMatch: "missing port"},
		{in: "w01:0", errMatch: "port 0 out of range 1..65535"},
		{in: "w01:70000", errMatch: "port 70000 out of range 1..65535"},
		{in: "w01:99999999999999999999999", errMatch: "out of range"},
		{in: "w01:ssh", errMatch: `port "ssh" is not a number`},
		{in: "w01:+22", errMatch: "not a number"},
		{in: "w01:-1", errMatch: "not a number"},
		{in: "::1", errMatch: "must be written in brackets"},
		{in: "2001:db8::7:22", errMatch: "must be written in brackets"},
		{in: "[::1", errMatch: "missing ]"},
		{in: "[::1]22", errMatch: "unexpected"},
		{in: "[w01]:22", errMatch: "brackets are only for IPv6"},
		{in: "[::zz]:22", errMatch: "invalid IPv6"},
		{in: "[fe80::1%e;th0]", errMatch: "zone"},
		{in: "@w01", errMatch: "user name"},
		{in: "Deploy@w01", errMatch: "user name"},
		{in: "de ploy@w01", errMatch: "user name"},
		{in: "a@b@c", errMatch: "not allowed"},
		{in: "deploy@", errMatch: "empty host name"},
		{in: ":22", errMatch: "empty host name"},
		{in: "w01;reboot", errMatch: "';' not allowed"},
		{in: "$(reboot)", errMatch: "not allowed"},
		{in: "w 01", errMatch: "not allowed"},
		{in: "-oProxyCommand", errMatch: "must not start"},
		{in: "wé01", errMatch: "not allowed"},
		{in: strings.Repeat("a", 254), errMatch: "longer than 253"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			user, host, port, err := ParseServer(tt.in)
			if tt.errMatch != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMatch) {
					t.Fatalf("ParseServer(%q) error = %v, want containing %q", tt.in, err, tt.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseServer(%q): %v", tt.in, err)
			}
			if user != tt.user || host != tt.host || port != tt.port {
				t.Errorf("ParseServer(%q) = %q, %q, %d; want %q, %q, %d", tt.in, user, host, port, tt.user, tt.host, tt.port)
			}
		})
	}
}

func TestHostDisplay(t *testing.T) {
	tests := []struct {
		h         Host
		str, addr string
	}{
		{Host{Name: "w01", Port: 22}, "w01", "w01:22"},
		{Host{Name: "w01", Port: 2222}, "w01:2222", "w01:2222"},
		{Host{Name: "w01", Port: 2222, defaultPort: 2222}, "w01", "w01:2222"},
		{Host{Name: "w01", Port: 22, defaultPort: 2222}, "w01:22", "w01:22"},
		{Host{Name: "::1", Port: 22}, "::1", "[::1]:22"},
		{Host{Name: "::1", Port: 2200}, "[::1]:2200", "[::1]:2200"},
		{Host{Name: "w01"}, "w01", "w01:22"},
	}
	for _, tt := range tests {
		if got := tt.h.String(); got != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.h, got, tt.str)
		}
		if got := tt.h.Addr(); got != tt.addr {
			t.Errorf("%+v.Addr() = %q, want %q", tt.h, got, tt.addr)
		}
	}
}
