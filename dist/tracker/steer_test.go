package tracker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

func TestPeerCap(t *testing.T) {
	ih := hashOf("cap")
	s, _ := newTestServer(t, Config{MaxPeersPerSwarm: 3}, ih)
	for i := range 3 {
		mustAnnounce(t, s, fmt.Sprintf("10.0.0.%d:1", i+1), annQuery(ih, fmt.Sprint(i), 1, 1))
	}
	if r := announce(t, s, "10.0.0.9:1", annQuery(ih, "late", 1, 1)); !strings.HasPrefix(r.FailureReason, "swarm full") {
		t.Errorf("fourth peer: failure reason %q, want swarm full", r.FailureReason)
	}
	// Members keep re-announcing; a leaver makes room.
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih, "0", 1, 0))
	mustAnnounce(t, s, "10.0.0.2:1", with(annQuery(ih, "1", 1, 1), "event", "stopped"))
	mustAnnounce(t, s, "10.0.0.9:1", annQuery(ih, "late", 1, 1))
}

func TestRefusedAddresses(t *testing.T) {
	tests := []struct {
		name, remote, ip, param string
	}{
		{"unspecified IPv4", "10.0.0.1:1", "0.0.0.0", "ip"},
		{"unspecified IPv6", "10.0.0.1:1", "::", "ip"},
		{"broadcast", "10.0.0.1:1", "255.255.255.255", "ip"},
		{"mapped broadcast", "10.0.0.1:1", "::ffff:255.255.255.255", "ip"},
		{"multicast IPv4", "10.0.0.1:1", "224.0.0.1", "ip"},
		{"multicast IPv6", "10.0.0.1:1", "ff02::1", "ip"},
		{"link-local IPv4", "10.0.0.1:1", "169.254.1.1", "ip"},
		{"link-local IPv6", "10.0.0.1:1", "fe80::1", "ip"},
		{"link-local IPv6 with zone", "10.0.0.1:1", "fe80::1%eth0", "ip"},
		{"unspecified source", "0.0.0.0:1", "", "source address"},
		{"link-local source", "[fe80::1%eth0]:1", "", "source address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ih := hashOf(tt.name)
			s, _ := newTestServer(t, Config{}, ih)
			q := annQuery(ih, "p", 1, 1)
			if tt.ip != "" {
				q.Set("ip", tt.ip)
			}
			r := announce(t, s, tt.remote, q)
			if !strings.HasPrefix(r.FailureReason, tt.param+": ") || !strings.Contains(r.FailureReason, "not a peer address") {
				t.Errorf("failure reason %q, want one naming %s and the address", r.FailureReason, tt.param)
			}
			if st := s.Status(); len(st.Swarms[0].Peers) != 0 {
				t.Errorf("refused address listed: %+v", st.Swarms[0].Peers)
			}
		})
	}
}

// A forged announce (another host sending a member's peer_id) can neither
// move the member, nor change its state, nor stop it.
func TestForgedAnnounce(t *testing.T) {
	ih := hashOf("forged")
	s, _ := newTestServer(t, Config{}, ih)
	mustAnnounce(t, s, "10.0.0.1:40000", with(annQuery(ih, "victim", 6881, 100), "ip", "10.0.0.1"))
	forged := []struct {
		name string
		q    []string
	}{
		{"move", []string{"ip", "10.6.6.6"}},
		{"same address, claims to be a seed", []string{"ip", "10.0.0.1", "left", "0"}},
		{"stop", []string{"ip", "10.0.0.1", "event", "stopped"}},
		{"stop, no ip", []string{"event", "stopped"}},
	}
	for _, f := range forged {
		t.Run(f.name, func(t *testing.T) {
			r := announce(t, s, "10.6.6.6:1", with(annQuery(ih, "victim", 6881, 100), f.q...))
			if !strings.HasPrefix(r.FailureReason, "peer_id: ") {
				t.Errorf("forged announce: failure reason %q, want a refusal naming peer_id", r.FailureReason)
			}
			ps := s.Status().Swarms[0].Peers
			if len(ps) != 1 || ps[0].Addr != "10.0.0.1:6881" || ps[0].Left != 100 {
				t.Errorf("victim now %+v, want unchanged at 10.0.0.1:6881 with 100 left", ps)
			}
		})
	}
	// The victim itself, on another connection, still may.
	mustAnnounce(t, s, "10.0.0.1:40001", with(annQuery(ih, "victim", 6881, 0), "event", "stopped"))
	if ps := s.Status().Swarms[0].Peers; len(ps) != 0 {
		t.Errorf("victim's own stop left %+v", ps)
	}
}

// checkSwarm verifies the swarm's invariants: every peer in exactly the
// list its left says, at its idx, and the counters right.
func checkSwarm(t *testing.T, sw *swarm) {
	t.Helper()
	var left int64
	for name, l := range map[string][]*peer{"seeds": sw.seeds, "leechers": sw.leechers} {
		for i, p := range l {
			if int(p.idx) != i || p.seed() != (name == "seeds") || sw.peers[p.id] != p {
				t.Fatalf("%s[%d]: idx %d, left %d, in map %v", name, i, p.idx, p.left, sw.peers[p.id] == p)
			}
			left += p.left
		}
	}
	if len(sw.peers) != sw.size() || left != sw.bytesLeft {
		t.Fatalf("map %d peers, lists %d; bytes left %d, counted %d", len(sw.peers), sw.size(), left, sw.bytesLeft)
	}
}

// TestSwarmInvariants drives a swarm through random joins, state changes,
// leaves and samples, checking its bookkeeping after each.
func TestSwarmInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sw := newSwarm()
	for step := range 5000 {
		id := [20]byte{byte(rng.IntN(60))}
		p := sw.peers[id]
		switch op := rng.IntN(4); {
		case p == nil:
			sw.add(&peer{id: id, left: int64(rng.IntN(3))})
		case op == 0:
			sw.remove(p)
		case op == 1:
			sw.setLeft(p, int64(rng.IntN(3)))
		default:
			n := rng.IntN(10)
			var got [][20]byte
			sw.sample(p, n, &idxSet{}, func(q *peer) { got = append(got, q.id) })
			want := len(sw.leechers)
			if !p.seed() {
				want += len(sw.seeds) - 1
			}
			if len(got) != min(n, want) || slices.Contains(got, p.id) {
				t.Fatalf("step %d: sample of %d for %v gave %d peers (want %d), self included: %v",
					step, n, p.seed(), len(got), min(n, want), slices.Contains(got, p.id))
			}
			slices.SortFunc(got, func(a, b [20]byte) int { return int(a[0]) - int(b[0]) })
			if len(slices.Compact(got)) != len(got) {
				t.Fatalf("step %d: duplicate peers in a sample", step)
			}
			for _, q := range got {
				if p.seed() && sw.peers[q].seed() {
					t.Fatalf("step %d: a seed was given a seed", step)
				}
			}
		}
		checkSwarm(t, sw)
	}
}

// TestSampleUniform: every candidate of a sample is about equally likely,
// whichever list it is in, for a sample much smaller than the swarm (drawn by
// rejection) and one close to its size (shuffled).
func TestSampleUniform(t *testing.T) {
	sw := newSwarm()
	for i := range 20 {
		sw.add(&peer{id: [20]byte{byte(i)}, left: int64(i % 4)}) // 5 seeds, 15 leechers
	}
	self := sw.peers[[20]byte{1}]
	for _, n := range []int{5, 15} {
		t.Run(fmt.Sprint("n=", n), func(t *testing.T) {
			counts := map[byte]int{}
			const rounds = 20000
			var seen idxSet
			for range rounds {
				sw.sample(self, n, &seen, func(q *peer) { counts[q.id[0]]++ })
			}
			want := float64(rounds*n) / 19
			if len(counts) != 19 {
				t.Errorf("%d distinct peers drawn, want the 19 others", len(counts))
			}
			for id, c := range counts {
				if id == 1 || float64(c) < 0.9*want || float64(c) > 1.1*want {
					t.Errorf("peer %d drawn %d times, want about %.0f (and never self, 1)", id, c, want)
				}
			}
			checkSwarm(t, sw)
		})
	}
}

// TestPeerSize guards the memory of a 20,000-peer swarm: a peer holds no
// maps or strings, and stays within two cache lines.
func TestPeerSize(t *testing.T) {
	if n := unsafe.Sizeof(peer{}); n > 128 {
		t.Errorf("peer is %d bytes, want at most 128", n)
	}
}
