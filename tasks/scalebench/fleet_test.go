package scalebench

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestSequenceOnSimulatedFleet runs murder's whole sequence through
// tasks.Run against a fleet of 3 simulated peers (plus the tracker and
// seeder) served in the test's own process on loopback addresses.
func TestSequenceOnSimulatedFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("opens SSH connections on loopback")
	}
	const peers = 30 // more than agent_sources: some fetch the agent
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "local"), 0o700); err != nil {
		t.Fatal(err)
	}
	keys, err := writeKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A port free on the first address; the others are very likely free
	// on it too.
	ln, err := net.Listen("tcp", HostIP(0)+":0")
	if err != nil {
		t.Skipf("no 127.1.0.1 here: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	o := Defaults()
	o.Port, o.Size, o.RateBits, o.Extract, o.AgentSize, o.Profile = port, 1<<20, 80e6, 10*time.Millisecond, 4096, false
	kb, err := os.ReadFile(keys.hostKey)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := os.ReadFile(keys.clientPub)
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pb)
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for k := 0; k <= peers; k++ {
		ips = append(ips, HostIP(k))
	}
	m := Model{Size: o.Size, Rate: o.RateBits / 8, ExtractDelay: o.Extract, UID: "0"}
	agent := filepath.Join(dir, "fake-agent")
	if err := os.WriteFile(agent, make([]byte, o.AgentSize), 0o755); err != nil {
		t.Fatal(err)
	}
	start := func(ctx context.Context) (simFleet, error) {
		m.UID = uidString()
		return StartFleet(ctx, ips, port, signer, pub.Marshal(), m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rows, _, err := runSize(ctx, o, peers, dir, start, keys, agent, io.Discard, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(sequence) {
		t.Fatalf("%d rows for %d tasks", len(rows), len(sequence))
	}
	for _, r := range rows {
		conns := int64(r.TaskHosts)
		if r.Task == "murder:peer" {
			conns++ // the tracker's host, for the progress feed
		}
		if r.Err != "" || r.Conns != conns {
			t.Errorf("%s: error %q, %d connections for %d hosts", r.Task, r.Err, r.Conns, r.TaskHosts)
		}
		switch r.Task {
		case "murder:distribute_files":
			// agent_sources=20 uploads; the other hosts fetch.
			if r.AgentCopies != min(peers+1, 20) || r.AgentCopies+r.AgentFetch != peers+1 || r.PerHost != 3 {
				t.Errorf("distribute_files: %d agent copies, %d fetched, %.2f sessions per host", r.AgentCopies, r.AgentFetch, r.PerHost)
			}
		case "murder:peer":
			// One start and one ask a host: the peers extract by themselves.
			if r.Kinds["extract"] != 0 || r.Kinds["peer"] != peers || r.Kinds["status"] != peers || r.Kinds["swarm-status"] != 1 || r.WallS < o.SwarmTime().Seconds() {
				t.Errorf("peer: commands %v in %.2fs", r.Kinds, r.WallS)
			}
		}
	}
}

func uidString() string {
	return strconv.Itoa(os.Getuid())
}
