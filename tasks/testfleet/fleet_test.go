package testfleet

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshRun runs cmd on h over SSH with the fleet's strict client config.
func sshRun(t *testing.T, f *Fleet, h *Host, cmd string) (string, error) {
	t.Helper()
	cfg, err := f.ClientConfig("root")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 3 * time.Second
	c, err := ssh.Dial("tcp", h.Addr(), cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	out, err := s.CombinedOutput(cmd)
	return strings.TrimSpace(string(out)), err
}

func mustSSH(t *testing.T, f *Fleet, h *Host, cmd string) string {
	t.Helper()
	out, err := sshRun(t, f, h, cmd)
	if err != nil {
		t.Fatalf("ssh %s %q: %v: %s", h.Name, cmd, err, out)
	}
	return out
}

// eventually retries fn for up to 10s, for state that settles
// asynchronously (ARP, link carrier).
func eventually(t *testing.T, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leftovers lists namespaces, links and state files whose name starts
// with prefix.
func leftovers(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, prefix) {
			left = append(left, "netns "+f)
		}
	}
	for _, dir := range []string{"/sys/class/net", stateDir} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), prefix) {
				left = append(left, dir+"/"+e.Name())
			}
		}
	}
	return left
}

func TestFleet(t *testing.T) {
	f := ForTest(t, 3, Options{Prefix: "mft"})
	h1, h2, h3 := f.Hosts[0], f.Hosts[1], f.Hosts[2]

	t.Run("identity", func(t *testing.T) {
		seen := map[string]bool{}
		for _, h := range f.Hosts {
			got := mustSSH(t, f, h, "hostname; hostname -I; ip -4 -o addr show dev eth0")
			lines := strings.Split(got, "\n")
			for i := range lines {
				lines[i] = strings.TrimSpace(lines[i])
			}
			if len(lines) != 3 || lines[0] != h.Name || lines[1] != h.IP || !strings.Contains(lines[2], " "+h.IP+"/24 ") {
				t.Errorf("%s: got %q, want hostname %s with address %s", h.Name, got, h.Name, h.IP)
			}
			if seen[h.IP] {
				t.Errorf("address %s used twice", h.IP)
			}
			seen[h.IP] = true
		}
	})

	t.Run("private tmp", func(t *testing.T) {
		mustSSH(t, f, h1, "echo hello-from-h01 > /tmp/marker")
		b, err := os.ReadFile(h1.Path("/tmp/marker"))
		if err != nil || string(b) != "hello-from-h01\n" {
			t.Fatalf("Path: got %q, %v", b, err)
		}
		for _, h := range []*Host{h2, h3} {
			if out, err := sshRun(t, f, h, "test ! -e /tmp/marker"); err != nil {
				t.Errorf("%s sees h01's /tmp/marker: %v %s", h.Name, err, out)
			}
		}
		out, err := h1.Exec(t.Context(), "cat", "/tmp/marker")
		if err != nil || string(out) != "hello-from-h01\n" {
			t.Errorf("Exec cat: got %q, %v", out, err)
		}
	})

	t.Run("host to host", func(t *testing.T) {
		cmd := "bash -c 'exec 3<>/dev/tcp/" + h3.IP + "/22 && head -c 7 <&3'"
		if got := mustSSH(t, f, h1, cmd); got != "SSH-2.0" {
			t.Errorf("h01 -> h03:22 got %q, want SSH-2.0 banner", got)
		}
	})

	t.Run("permanent neighbours", func(t *testing.T) {
		// After host-to-host traffic, h01 knows every other address as a
		// permanent neighbour with its fixed MAC, and learned none by ARP.
		got := mustSSH(t, f, h1, "ip -4 neigh show dev eth0")
		for _, a := range []netip.Addr{f.Gateway, h2.addr, h3.addr} {
			want := a.String() + " lladdr " + macOf(a) + " PERMANENT"
			if !strings.Contains(got, want) {
				t.Errorf("h01 neighbours:\n%s\nwant a line %q", got, want)
			}
		}
		if n := strings.Count(got, "\n") + 1; n != 3 {
			t.Errorf("h01 has %d neighbours, want 3:\n%s", n, got)
		}
	})

	t.Run("link down and up", func(t *testing.T) {
		if err := h2.LinkDown(); err != nil {
			t.Fatal(err)
		}
		if c, err := net.DialTimeout("tcp", h2.Addr(), time.Second); err == nil {
			c.Close()
			t.Error("h02 reachable with link down")
		}
		if err := h2.LinkUp(); err != nil {
			t.Fatal(err)
		}
		eventually(t, "ssh after LinkUp", func() error { _, err := sshRun(t, f, h2, "true"); return err })
	})

	t.Run("stop and start sshd", func(t *testing.T) {
		mustSSH(t, f, h2, "echo kept > /tmp/kept")
		if err := h2.StopSSHD(); err != nil {
			t.Fatal(err)
		}
		if h2.SSHDPid() != 0 {
			t.Error("SSHDPid != 0 after StopSSHD")
		}
		if _, err := sshRun(t, f, h2, "true"); err == nil {
			t.Fatal("ssh works with sshd stopped")
		}
		if err := h2.StartSSHD(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := mustSSH(t, f, h2, "cat /tmp/kept"); got != "kept" {
			t.Errorf("/tmp after sshd restart: got %q", got)
		}
	})

	t.Run("kill", func(t *testing.T) {
		mustSSH(t, f, h3, "nohup sleep 1000 >/dev/null 2>&1 &")
		if err := h3.Kill(); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ip", "netns", "pids", h3.Netns).Output()
		if err != nil || strings.TrimSpace(string(out)) != strconv.Itoa(h3.HolderPid()) {
			t.Errorf("after Kill: pids %q (%v), want only holder %d", out, err, h3.HolderPid())
		}
		if err := h3.StartSSHD(t.Context()); err != nil {
			t.Fatal(err)
		}
		mustSSH(t, f, h3, "true")
	})

	t.Run("close", func(t *testing.T) {
		dir := f.Dir()
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if left := leftovers(t, f.ID); len(left) > 0 {
			t.Errorf("left after Close: %v", left)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("work dir %s: %v, want gone", dir, err)
		}
		if err := f.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

func TestCreateFailsMidway(t *testing.T) {
	if err := Check(Options{}); err != nil {
		t.Skip(err)
	}
	parent, err := os.MkdirTemp("/var/tmp", "testfleet-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	_, err = Create(t.Context(), Options{Hosts: 2, Prefix: "mfbad", TmpSize: "bogus", WorkDir: parent})
	if err == nil || !strings.Contains(err.Error(), "holder exited") {
		t.Fatalf("Create with bad TmpSize: got %v, want holder failure", err)
	}
	if left := leftovers(t, "mfbad"); len(left) > 0 {
		t.Errorf("left after failed Create: %v", left)
	}
	if ents, _ := os.ReadDir(parent); len(ents) > 0 {
		t.Errorf("work dir left in %s: %v", parent, ents)
	}
}

// TestConcurrentFleetsWithRate: fleets created at once get subnets of
// their own, and a host's link is shaped both ways and its congestion
// control set.
func TestConcurrentFleetsWithRate(t *testing.T) {
	if err := Check(Options{Rate: "1mbit"}); err != nil {
		t.Skip(err)
	}
	var wg sync.WaitGroup
	fleets := make([]*Fleet, 2)
	errs := make([]error, 2)
	for i := range fleets {
		wg.Go(func() {
			fleets[i], errs[i] = Create(t.Context(), Options{Hosts: 1, Prefix: "mfc", Rate: "100mbit", Congestion: "reno"})
		})
	}
	wg.Wait()
	for i, f := range fleets {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() { f.Close() })
	}
	if fleets[0].Subnet == fleets[1].Subnet {
		t.Fatalf("both fleets got %s", fleets[0].Subnet)
	}
	h := fleets[0].Hosts[0]
	for _, args := range [][]string{
		{"class", "show", "dev", h.veth},
		{"-n", h.Netns, "class", "show", "dev", "eth0"},
	} {
		out, err := exec.Command("tc", args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "htb 1:1 root rate 100Mbit") {
			t.Errorf("tc %v: %s %v, want htb 1:1 root rate 100Mbit", args, out, err)
		}
	}
	out, err := h.Exec(t.Context(), "cat", "/proc/sys/net/ipv4/tcp_congestion_control")
	if err != nil || strings.TrimSpace(string(out)) != "reno" {
		t.Errorf("congestion control in the host: %q %v, want reno", out, err)
	}
}

// TestCleanupStale crashes a fleet's creator (a child test binary exiting
// without Close) and checks CleanupStale removes what it left.
func TestCleanupStale(t *testing.T) {
	if os.Getenv("TESTFLEET_CRASH") == "1" {
		f, err := Create(t.Context(), Options{Hosts: 2, Prefix: "mfcr"})
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("fleet=" + f.ID + "\n")
		os.Exit(0) // crash: no Close
	}
	if err := Check(Options{}); err != nil {
		t.Skip(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestCleanupStale$")
	child.Env = append(os.Environ(), "TESTFLEET_CRASH=1")
	out, err := child.CombinedOutput()
	_, rest, ok := strings.Cut(string(out), "fleet=")
	if err != nil || !ok {
		t.Fatalf("crashing child: %v: %s", err, out)
	}
	id := strings.Fields(rest)[0]
	t.Cleanup(func() { CleanupStale("mfcr") })
	if left := leftovers(t, id); len(left) == 0 {
		t.Fatal("crashed child left nothing to clean up")
	}
	if err := CleanupStale("mfcr"); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, id); len(left) > 0 {
		t.Errorf("left after CleanupStale: %v", left)
	}
	if dirs, _ := filepath.Glob("/var/tmp/testfleet-" + id + "-*"); len(dirs) > 0 {
		t.Errorf("work dirs left: %v", dirs)
	}
}

func TestLiveFleetNotStale(t *testing.T) {
	st := state{Pid: os.Getpid(), Start: procStart(os.Getpid())}
	if !st.creatorAlive() {
		t.Error("own process reported dead")
	}
	st.Start++
	if st.creatorAlive() {
		t.Error("reused pid reported alive")
	}
}
