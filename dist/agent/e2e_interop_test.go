package agent_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Interoperability with BitTorrent software nobody here wrote. The tests
// skip when a program is missing, unless MURDER_REQUIRE_INTEROP=1 (CI
// installs aria2, opentracker and mktorrent), when they fail.

// requireTool returns the path of prog or skips (fails under
// MURDER_REQUIRE_INTEROP=1) the test.
func requireTool(t *testing.T, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err == nil {
		return p
	}
	if os.Getenv("MURDER_REQUIRE_INTEROP") == "1" {
		t.Fatalf("%s is required (MURDER_REQUIRE_INTEROP=1): %v", prog, err)
	}
	t.Skipf("%s not installed: %v", prog, err)
	return ""
}

// background starts a foreign program that runs until the test ends; its
// output goes to a log file shown when the test fails.
func background(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	logPath := filepath.Join(t.TempDir(), filepath.Base(name)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		logf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s output:\n%s", name, b)
		}
	})
}

// waitListening polls until something accepts TCP connections at addr.
func waitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens at %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// aria2Args are aria2c's flags for a closed loopback swarm: the tracker is
// the only source of peers, and aria2c exits once its file is verified.
func aria2Args(port int, ip, dir string) []string {
	return []string{
		"--no-conf=true", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
		"--enable-peer-exchange=false", "--disable-ipv6=true", "--bt-tracker-interval=1",
		"--listen-port=" + strconv.Itoa(port), "--bt-external-ip=" + ip, "--dir=" + dir,
		"--check-integrity=true", "--allow-overwrite=true", "--file-allocation=none",
		"--bt-stop-timeout=30", "--console-log-level=warn", "--summary-interval=0",
		"--download-result=hide", "--auto-file-renaming=false",
	}
}

// TestInteropAria2Peers: aria2c downloaders complete through our tracker
// from our seeder.
func TestInteropAria2Peers(t *testing.T) {
	aria2 := requireTool(t, "aria2c")
	s := newSwarm(t, 8<<20)
	s.start(t)
	var wg sync.WaitGroup
	for i := range 3 {
		dir := filepath.Join(s.dir, fmt.Sprintf("aria%d", i))
		args := append(aria2Args(freePort(t), loopback(30+i), dir), "--seed-time=0", s.torrent)
		wg.Go(func() {
			if r := runCmd(t, 60*time.Second, aria2, args...); r.code != 0 {
				t.Errorf("aria2c %d: %s", i, r)
				return
			}
			sameFile(t, s.data, filepath.Join(dir, "data.bin"))
		})
	}
	wg.Wait()
}

// TestInteropAria2Seeder: our peers complete from an aria2c seeder, our
// tracker in between; no seeder of ours runs.
func TestInteropAria2Seeder(t *testing.T) {
	aria2 := requireTool(t, "aria2c")
	s := newSwarm(t, 8<<20)
	s.startTracker(t)
	s.makeTorrent(t)
	// aria2c checks the complete file beside the torrent's name and seeds it.
	background(t, aria2, append(aria2Args(freePort(t), loopback(2), filepath.Dir(s.data)),
		"--seed-time=10", "--seed-ratio=0.0", "--bt-seed-unverified=false", s.torrent)...)
	// aria2c serves 64 KiB requests but not 128 KiB ones; murder agents ask
	// for whole pieces unless told otherwise.
	peers := []*peer{s.newPeer(t, 0), s.newPeer(t, 1), s.newPeer(t, 2)}
	s.downloadAll(t, peers, func(int) []string { return []string{"--seed-time", "2s", "--chunk-size", "65536"} })
	s.checkPeers(t, peers)
}

// TestInteropOpentracker: our seeder and peers complete through
// opentracker. Debian builds it in whitelist mode, so the info-hash goes
// into a whitelist; an open build ignores it.
func TestInteropOpentracker(t *testing.T) {
	ot := requireTool(t, "opentracker")
	s := newSwarm(t, 8<<20)
	s.port = freePort(t)
	s.torrent = filepath.Join(s.dir, "data.torrent")
	url := fmt.Sprintf("http://127.0.0.1:%d/announce", s.port)
	r := mustRun(t, 30*time.Second, "make-torrent", "--run-dir", s.run, s.data, url, s.torrent)
	ih := regexp.MustCompile(`info-hash ([0-9a-f]{40})`).FindStringSubmatch(r.stdout)
	if ih == nil {
		t.Fatalf("no info-hash in make-torrent's output %q", r.stdout)
	}
	// As root opentracker chroots into -d and drops to nobody; the
	// whitelist path is then inside the chroot.
	otDir := filepath.Join(s.dir, "opentracker")
	if err := os.Mkdir(otDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, otDir, "whitelist", []byte(ih[1]+"\n"))
	port := strconv.Itoa(s.port)
	args := []string{"-i", "127.0.0.1", "-p", port, "-P", port, "-w", filepath.Join(otDir, "whitelist")}
	if os.Geteuid() == 0 {
		args = []string{"-i", "127.0.0.1", "-p", port, "-P", port, "-d", otDir, "-w", "/whitelist"}
	}
	background(t, ot, args...)
	waitListening(t, s.announce())
	s.startSeeder(t)
	peers := []*peer{s.newPeer(t, 0), s.newPeer(t, 1), s.newPeer(t, 2)}
	s.downloadAll(t, peers, func(int) []string { return nil })
	s.checkPeers(t, peers)
}

// TestInteropMktorrent: a torrent made by mktorrent (no murder extension,
// mktorrent's piece length) is registered at our tracker and downloads
// with our seeder and peers.
func TestInteropMktorrent(t *testing.T) {
	mk := requireTool(t, "mktorrent")
	s := newSwarm(t, 8<<20)
	s.startTracker(t)
	s.torrent = filepath.Join(s.dir, "mk.torrent")
	url := fmt.Sprintf("http://%s/announce", s.announce())
	if r := runCmd(t, 30*time.Second, mk, "-a", url, "-l", "18", "-o", s.torrent, s.data); r.code != 0 {
		t.Fatalf("mktorrent: %s", r)
	}
	mustRun(t, 10*time.Second, "register", "--run-dir", s.run, s.torrent)
	s.startSeeder(t)
	peers := []*peer{s.newPeer(t, 0), s.newPeer(t, 1), s.newPeer(t, 2)}
	s.downloadAll(t, peers, func(int) []string { return nil })
	s.checkPeers(t, peers)
}
