package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// TestFaultBadHostsAmongGood: one murder:peer run over two good peers and
// four bad ones, each failing its own way and named with its own reason
// while the good ones complete:
//   - a /tmp too full for the download: "not enough space ... disk full",
//     found before any transfer, no .part left;
//   - room for the download but not for the extraction: "disk full", and
//     nothing (no staging directory either) at the destination;
//   - a host whose packets vanish (SYNs unanswered): "timed out after 3s";
//   - TAG.tgz.part and TAG.tgz.torrent planted as symlinks in the shared
//     /tmp: the link at .part is refused, the .torrent upload replaces its
//     link, and neither link's target is written.
func TestFaultBadHostsAmongGood(t *testing.T) {
	d := newFaultDeployment(t, faultSetup{hosts: 8, size: 4 << 20, ssh: "  timeout: 3s\n"})
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag=Bad2", "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag=Bad2")
	size := localTorrentSize(t, filepath.Join(d.local, "Bad2.tgz.torrent"))
	p := d.peers()
	good, noRoom, noRoomToExtract, silent, planted := p[:2], p[2], p[3], p[4], p[5]
	fillTmp(t, noRoom, 256<<10)
	fillTmp(t, noRoomToExtract, size+(1<<20))
	silence(t, silent)
	victims := map[string]string{
		"/tmp/Bad2.tgz.part":    "/tmp/victim-part",
		"/tmp/Bad2.tgz.torrent": "/tmp/victim-torrent",
	}
	for link, victim := range victims {
		if err := os.WriteFile(planted.Path(victim), []byte(victimText), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, planted.Path(link)); err != nil {
			t.Fatal(err)
		}
	}

	out, err := d.run("murder:peer", "tag=Bad2", "destination_path=/tmp/dest")
	if err == nil {
		t.Fatal("murder:peer succeeded with four bad hosts")
	}
	d.verify("/tmp/dest/Bad2", good...)
	for _, c := range []struct {
		h    *testfleet.Host
		want []string
	}{
		{noRoom, []string{"start peer", "not enough space for /tmp/Bad2.tgz.part", "disk full"}},
		{noRoomToExtract, []string{"extract", "disk full"}},
		{silent, []string{"start peer", "timed out after 3s"}},
		{planted, []string{"start peer", "/tmp/Bad2.tgz.part exists and is not a regular file but a symlink"}},
	} {
		line := lineFor(err.Error(), "host "+c.h.IP+":")
		for _, w := range c.want {
			if !strings.Contains(line, w) {
				t.Errorf("host %s: want %q in its error, got %q", c.h.Name, w, line)
			}
		}
		if !strings.Contains(out, " **   "+c.h.IP+": ") {
			t.Errorf("summary does not name %s", c.h.IP)
		}
		checkNothingExtracted(t, c.h, "/tmp/dest/Bad2")
	}
	if _, err := os.Stat(noRoom.Path("/tmp/Bad2.tgz.part")); !os.IsNotExist(err) {
		t.Errorf("host %s: a partial download is left on the full disk (%v)", noRoom.Name, err)
	}
	for link, victim := range victims {
		if b, err := os.ReadFile(planted.Path(victim)); err != nil || string(b) != victimText {
			t.Errorf("host %s: %s was written through the link at %s: %q, %v", planted.Name, victim, link, b, err)
		}
	}
}

const victimText = "not murder's to write\n"

// localTorrentSize is the length of the data a .torrent describes.
func localTorrentSize(t *testing.T, path string) int64 {
	t.Helper()
	mi, err := metainfo.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		t.Fatal(err)
	}
	return info.TotalLength()
}

// fillTmp fills h's /tmp until only free bytes are left.
func fillTmp(t *testing.T, h *testfleet.Host, free int64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(h.Path("/tmp"), &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * st.Bsize
	if avail <= free {
		t.Fatalf("host %s: only %d bytes free in /tmp", h.Name, avail)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := h.Exec(ctx, "fallocate", "-l", strconv.FormatInt(avail-free, 10), "/tmp/filler"); err != nil {
		t.Fatalf("fallocate: %v: %s", err, out)
	}
}

// silence makes h drop everything sent to it without a word, as a hung
// host or a dropping firewall does: its link goes down, and a permanent
// neighbour entry keeps this machine sending (instead of failing address
// resolution, which would answer "no route to host").
func silence(t *testing.T, h *testfleet.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	route, err := exec.CommandContext(ctx, "ip", "-o", "route", "get", h.IP).Output()
	if err != nil {
		t.Fatalf("ip route get %s: %v", h.IP, err)
	}
	bridge := fieldAfter(string(route), "dev")
	link, err := exec.CommandContext(ctx, "ip", "-n", h.Netns, "-o", "link", "show", "eth0").Output()
	if err != nil {
		t.Fatalf("ip -n %s link show eth0: %v", h.Netns, err)
	}
	mac := fieldAfter(string(link), "link/ether")
	if bridge == "" || mac == "" {
		t.Fatalf("host %s: no bridge (%q) or MAC (%q)", h.Name, route, link)
	}
	if out, err := exec.CommandContext(ctx, "ip", "neigh", "replace", h.IP, "lladdr", mac, "dev", bridge, "nud", "permanent").CombinedOutput(); err != nil {
		t.Fatalf("ip neigh replace: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "neigh", "del", h.IP, "dev", bridge).Run() })
	if err := h.LinkDown(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.LinkUp() })
}

// fieldAfter returns the word after key in s.
func fieldAfter(s, key string) string {
	f := strings.Fields(s)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == key {
			return f[i+1]
		}
	}
	return ""
}
