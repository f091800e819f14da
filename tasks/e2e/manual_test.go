package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManualSequence is the README's manual usage on 9 peers, with the
// tracker and the seeder on hosts of their own, then the variants of
// murder:peer's arguments.
func TestManualSequence(t *testing.T) {
	d := newDeployment(t, 11, "")
	d.mustRun("murder:distribute_files")
	if out := d.mustRun("murder:distribute_files"); !strings.Contains(out, "up to date") {
		t.Errorf("second distribute_files uploaded again:\n%s", out)
	}
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag=Deploy1", "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag=Deploy1")
	report := filepath.Join(t.TempDir(), "report.json")
	d.mustRun("murder:peer", "tag=Deploy1", "destination_path=/tmp/dest", "report="+report)
	d.verify("/tmp/dest/Deploy1")
	checkPeerReport(t, report, d.fleet.Hosts[1].Path("/tmp/Deploy1.tgz"), len(d.peers()))

	t.Run("non-empty destination refused", func(t *testing.T) {
		out, err := d.run("murder:peer", "tag=Deploy1", "destination_path=/tmp/dest")
		if err == nil || !strings.Contains(err.Error(), "is not empty") {
			t.Fatalf("want 'is not empty' error, got %v", err)
		}
		for _, h := range d.peers() {
			if !strings.Contains(err.Error(), "host "+h.IP+":") {
				t.Errorf("error does not name host %s: %v", h.IP, err)
			}
		}
		if !strings.Contains(out, "FAILED") {
			t.Errorf("summary does not say FAILED:\n%s", out)
		}
		d.verify("/tmp/dest/Deploy1")
	})
	t.Run("unsafe_please_delete", func(t *testing.T) {
		stale := d.peers()[0].Path("/tmp/dest/Deploy1/stale.txt")
		if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		d.mustRun("murder:peer", "tag=Deploy1", "destination_path=/tmp/dest", "unsafe_please_delete=1")
		d.verify("/tmp/dest/Deploy1")
	})
	t.Run("no_tag_directory", func(t *testing.T) {
		d.mustRun("murder:peer", "tag=Deploy1", "destination_path=/tmp/flat", "no_tag_directory=1")
		d.verify("/tmp/flat")
	})
	d.mustRun("murder:stop_seeding", "tag=Deploy1")
	d.mustRun("murder:stop_tracker")
	if _, err := d.run("murder:stop_tracker"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("stopping a stopped tracker: want 'not running' error, got %v", err)
	}
	d.mustRun("murder:stop_all_peering")
	d.mustRun("murder:clean_temp_files", "tag=Deploy1")
	for _, h := range append(d.peers(), d.fleet.Hosts[1]) {
		if _, err := os.Stat(h.Path("/tmp/Deploy1.tgz")); !os.IsNotExist(err) {
			t.Errorf("host %s: /tmp/Deploy1.tgz still there after clean_temp_files (%v)", h.Name, err)
		}
	}
}

// TestPathIsFileAndHooks distributes a single file as it is, with the
// documented hooks starting and stopping the tracker around seeding.
func TestPathIsFileAndHooks(t *testing.T) {
	hooks := "hooks:\n  before:\n    murder:start_seeding: [murder:start_tracker]\n  after:\n    murder:stop_seeding: [murder:stop_tracker]\n"
	d := newDeployment(t, 5, hooks)
	d.mustRun("murder:distribute_files")
	file := filepath.Join(d.sample, "big.bin")
	d.mustRun("murder:create_torrent", "tag=File1", "files_path="+file, "path_is_file=1")
	out := d.mustRun("murder:start_seeding", "tag=File1")
	if !strings.Contains(out, "murder:start_tracker") || !strings.Contains(out, "tracker listening") {
		t.Errorf("before hook did not start the tracker:\n%s", out)
	}
	// As the original's cp: destination_path names the file to write.
	d.mustRun("murder:peer", "tag=File1", "destination_path=/tmp/release.bin", "path_is_file=1")
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range d.peers() {
		got, err := os.ReadFile(h.Path("/tmp/release.bin"))
		if err != nil || string(got) != string(want) {
			t.Errorf("host %s: file differs or missing (%v)", h.Name, err)
		}
	}
	out = d.mustRun("murder:stop_seeding", "tag=File1")
	if !strings.Contains(out, "stopped tracker") {
		t.Errorf("after hook did not stop the tracker:\n%s", out)
	}
}

// checkPeerReport: murder:peer's report gives every peer the moments its
// agent measured, in order, and counts each byte of the archive as coming
// from the seeder or from other peers.
func checkPeerReport(t *testing.T, path, archive string, peers int) {
	t.Helper()
	fi, err := os.Stat(archive)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Hosts []struct {
			Host   string
			Marks  map[string]float64
			Counts map[string]int64
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Hosts) != peers {
		t.Fatalf("report lists %d hosts, want the %d peers:\n%s", len(rep.Hosts), peers, b)
	}
	var fromSeeder int64
	for _, h := range rep.Hosts {
		m, c := h.Marks, h.Counts
		if !(m["peer started"] < m["first byte"] && m["first byte"] <= m["downloaded"] && m["downloaded"] <= m["extracted"]) {
			t.Errorf("%s: marks %v out of order", h.Host, m)
		}
		if c["bytes from seeder"]+c["bytes from peers"] != fi.Size() {
			t.Errorf("%s: counts %v, want %d bytes in all", h.Host, c, fi.Size())
		}
		if b, ok := c["bytes extracted after download"]; !ok || b < 0 || b > fi.Size() {
			t.Errorf("%s: counts %v, want the bytes extracted after the download, 0 to %d", h.Host, c, fi.Size())
		}
		fromSeeder += c["bytes from seeder"]
	}
	t.Logf("the seeder sent %.2f copies of the archive to %d peers", float64(fromSeeder)/float64(fi.Size()), peers)
}
