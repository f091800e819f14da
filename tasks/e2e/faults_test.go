package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// TestBadHosts: a host that is down, one that refuses the key and one whose
// host key changed are each reported by name with their own reason, while
// the other peers finish, and the run fails.
func TestBadHosts(t *testing.T) {
	d := newDeployment(t, 7, "")
	d.mustRun("murder:distribute_files")
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag=Bad1", "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag=Bad1")

	down, refuses, changed := d.fleet.Hosts[4], d.fleet.Hosts[5], d.fleet.Hosts[6]
	if err := down.StopSSHD(); err != nil {
		t.Fatal(err)
	}
	d.writeConfigWith("", func(h *testfleet.Host) string {
		if h == refuses {
			return "ghost@" + h.IP // no such user: the key is refused
		}
		return h.IP
	})
	replaceHostKey(t, d.fleet.KnownHostsFile(), changed.IP, d.fleet.Hosts[2].IP)

	out, err := d.run("murder:peer", "tag=Bad1", "destination_path=/tmp/dest")
	if err == nil {
		t.Fatal("murder:peer succeeded with three bad hosts")
	}
	msg := err.Error()
	for _, want := range []struct{ host, reason string }{
		{down.IP, "host unreachable"},
		{refuses.IP, "authentication refused"},
		{changed.IP, "CHANGED"},
	} {
		line := lineFor(msg, "host "+want.host+":")
		if !strings.Contains(line, want.reason) {
			t.Errorf("host %s: want %q in its error, got %q", want.host, want.reason, line)
		}
		if !strings.Contains(out, want.host) {
			t.Errorf("summary does not name %s", want.host)
		}
	}
	d.verify("/tmp/dest/Bad1", d.fleet.Hosts[2], d.fleet.Hosts[3])
	if err := down.StartSSHD(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func lineFor(msg, prefix string) string {
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// replaceHostKey gives host the key recorded for other, as if host had
// been replaced by an impostor.
func replaceHostKey(t *testing.T, file, host, other string) {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var otherKey string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == other {
			otherKey = f[1] + " " + f[2]
		}
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == host {
			l = host + " " + otherKey
		}
		out = append(out, l)
	}
	if err := os.WriteFile(file, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}
