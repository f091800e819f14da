package tracker

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAnnounceCompact(t *testing.T) {
	ih := hashOf("compact")
	s, _ := newTestServer(t, Config{}, ih)
	mustAnnounce(t, s, "10.0.0.1:5000", annQuery(ih, "a", 6881, 100))
	mustAnnounce(t, s, "10.0.0.2:5000", annQuery(ih, "b", 6882, 0))
	mustAnnounce(t, s, "[fd00::3]:5000", annQuery(ih, "c", 6883, 100))
	r := mustAnnounce(t, s, "10.0.0.4:5000", with(annQuery(ih, "d", 6884, 50), "event", "started"))

	if r.Interval != 15 || r.MinInterval != 5 {
		t.Errorf("interval, min interval = %d, %d; want 15, 5", r.Interval, r.MinInterval)
	}
	if r.Complete != 1 || r.Incomplete != 3 {
		t.Errorf("complete, incomplete = %d, %d; want 1, 3", r.Complete, r.Incomplete)
	}
	got := addrs(r.peers(t))
	want := []string{"10.0.0.1:6881", "10.0.0.2:6882", "[fd00::3]:6883"}
	if !slices.Equal(got, want) {
		t.Errorf("peers = %v, want %v (never the requester)", got, want)
	}
	if len(r.Peers6) != 18 {
		t.Errorf("peers6 has %d bytes, want one 18-byte entry", len(r.Peers6))
	}
}

func TestAnnounceDict(t *testing.T) {
	ih := hashOf("dict")
	s, _ := newTestServer(t, Config{}, ih)
	mustAnnounce(t, s, "10.0.0.1:5000", annQuery(ih, "a", 6881, 100))
	mustAnnounce(t, s, "[fd00::2]:5000", annQuery(ih, "b", 6882, 100))
	tests := []struct {
		name   string
		q      url.Values
		withID bool
	}{
		{"with peer id", with(annQuery(ih, "me", 7000, 1), "compact", "0"), true},
		{"no_peer_id", with(annQuery(ih, "me", 7000, 1), "compact", "0", "no_peer_id", "1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := mustAnnounce(t, s, "10.0.0.9:5000", tt.q).peers(t)
			if got, want := addrs(ps), []string{"10.0.0.1:6881", "[fd00::2]:6882"}; !slices.Equal(got, want) {
				t.Fatalf("peers = %v, want %v", got, want)
			}
			for _, p := range ps {
				wantID := ""
				if tt.withID {
					wantID = peerID(map[uint16]string{6881: "a", 6882: "b"}[p.addr.Port()])
				}
				if p.id != wantID {
					t.Errorf("peer %v: peer id %q, want %q", p.addr, p.id, wantID)
				}
			}
		})
	}
}

func TestNumWant(t *testing.T) {
	ih := hashOf("numwant")
	s, _ := newTestServer(t, Config{}, ih)
	for i := range 700 {
		ip := fmt.Sprintf("10.1.%d.%d:1", i/250, i%250+1)
		mustAnnounce(t, s, ip, annQuery(ih, fmt.Sprint("p", i), 6881, 100))
	}
	me := annQuery(ih, "p0", 6881, 100) // already in the swarm: must not get itself
	tests := []struct {
		numwant string // "" = absent
		want    int
	}{
		{"1000", 200}, {"", 50}, {"200", 200}, {"10", 10}, {"0", 0},
	}
	for _, tt := range tests {
		t.Run("numwant="+tt.numwant, func(t *testing.T) {
			q := me
			if tt.numwant != "" {
				q = with(me, "numwant", tt.numwant)
			}
			got := addrs(mustAnnounce(t, s, "10.1.0.1:1", q).peers(t))
			if len(got) != tt.want {
				t.Fatalf("got %d peers, want %d", len(got), tt.want)
			}
			if len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("duplicate peers in answer")
			}
			if slices.Contains(got, "10.1.0.1:6881") {
				t.Errorf("answer holds the requester itself")
			}
		})
	}
	// A random sample: two answers of 200 out of 699 are hardly ever equal.
	a := addrs(mustAnnounce(t, s, "10.1.0.1:1", with(me, "numwant", "200")).peers(t))
	b := addrs(mustAnnounce(t, s, "10.1.0.1:1", with(me, "numwant", "200")).peers(t))
	if slices.Equal(a, b) {
		t.Errorf("two answers sampled the same 200 peers: not random")
	}
}

func TestNumWantConfigured(t *testing.T) {
	ih := hashOf("numwant-config")
	s, _ := newTestServer(t, Config{MaxNumWant: 3, DefaultNumWant: 2}, ih)
	for i := range 10 {
		mustAnnounce(t, s, fmt.Sprintf("10.0.0.%d:1", i+1), annQuery(ih, fmt.Sprint(i), 1, 1))
	}
	if n := len(mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih, "0", 1, 1)).peers(t)); n != 2 {
		t.Errorf("default numwant: got %d peers, want 2", n)
	}
	if n := len(mustAnnounce(t, s, "10.0.0.1:1", with(annQuery(ih, "0", 1, 1), "numwant", "50")).peers(t)); n != 3 {
		t.Errorf("numwant=50 with MaxNumWant 3: got %d peers, want 3", n)
	}
}

func TestSeedGetsLeechersOnly(t *testing.T) {
	ih := hashOf("seed")
	s, _ := newTestServer(t, Config{}, ih)
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih, "seed1", 1, 0))
	mustAnnounce(t, s, "10.0.0.2:1", annQuery(ih, "seed2", 2, 0))
	mustAnnounce(t, s, "10.0.0.3:1", annQuery(ih, "leech", 3, 10))
	got := addrs(mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih, "seed1", 1, 0)).peers(t))
	if want := []string{"10.0.0.3:3"}; !slices.Equal(got, want) {
		t.Errorf("seed got %v, want leechers only %v", got, want)
	}
	got = addrs(mustAnnounce(t, s, "10.0.0.3:1", annQuery(ih, "leech", 3, 10)).peers(t))
	if want := []string{"10.0.0.1:1", "10.0.0.2:2"}; !slices.Equal(got, want) {
		t.Errorf("leecher got %v, want %v", got, want)
	}
}

func TestAnnounceAddress(t *testing.T) {
	tests := []struct {
		name, remote, ip, want string
	}{
		{"source address", "10.0.0.1:40000", "", "10.0.0.1:7000"},
		{"ip= beats source", "10.0.0.1:40000", "192.168.5.5", "192.168.5.5:7000"},
		{"ip= IPv6", "10.0.0.1:40000", "fd00::5", "[fd00::5]:7000"},
		{"IPv6 source", "[fd00::1]:40000", "", "[fd00::1]:7000"},
		{"mapped IPv4 source", "[::ffff:10.0.0.7]:40000", "", "10.0.0.7:7000"},
		{"mapped IPv4 ip=", "10.0.0.1:40000", "::ffff:10.0.0.8", "10.0.0.8:7000"},
		{"empty ip= means source", "10.0.0.1:40000", "-", "10.0.0.1:7000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ih := hashOf(tt.name)
			s, _ := newTestServer(t, Config{}, ih)
			q := annQuery(ih, "subject", 7000, 1)
			switch tt.ip {
			case "":
			case "-":
				q.Set("ip", "")
			default:
				q.Set("ip", tt.ip)
			}
			mustAnnounce(t, s, tt.remote, q)
			got := addrs(mustAnnounce(t, s, "10.9.9.9:1", annQuery(ih, "other", 1, 1)).peers(t))
			if !slices.Equal(got, []string{tt.want}) {
				t.Errorf("peers = %v, want [%s]", got, tt.want)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	ih := hashOf("expiry")
	s, clk := newTestServer(t, Config{}, ih)
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih, "old", 1, 1))
	clk.advance(90 * time.Second)
	mustAnnounce(t, s, "10.0.0.2:1", annQuery(ih, "new", 2, 1))
	clk.advance(31 * time.Second) // old: 121 s idle, new: 31 s

	if n := s.expire(); n != 1 {
		t.Errorf("expire removed %d peers, want 1", n)
	}
	got := addrs(mustAnnounce(t, s, "10.0.0.3:1", annQuery(ih, "asker", 3, 1)).peers(t))
	if want := []string{"10.0.0.2:2"}; !slices.Equal(got, want) {
		t.Errorf("after expiry peers = %v, want %v", got, want)
	}
	clk.advance(time.Hour)
	s.expire()
	if st := s.Status(); len(st.Swarms) != 1 || len(st.Swarms[0].Peers) != 0 {
		t.Errorf("after all expired: %+v, want the registered swarm, empty", st.Swarms)
	}
}

// With AllowAll, a swarm left empty is forgotten so stray info-hashes do not
// accumulate.
func TestExpiryForgetsAllowAllSwarms(t *testing.T) {
	s, clk := newTestServer(t, Config{AllowAll: true})
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(hashOf("stray"), "a", 1, 1))
	if n := len(s.Status().Swarms); n != 1 {
		t.Fatalf("got %d swarms, want 1", n)
	}
	clk.advance(time.Hour)
	s.expire()
	if n := len(s.Status().Swarms); n != 0 {
		t.Errorf("got %d swarms after expiry, want 0", n)
	}
}

func TestStoppedRemoves(t *testing.T) {
	ih := hashOf("stopped")
	s, _ := newTestServer(t, Config{}, ih)
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih, "a", 1, 1))
	mustAnnounce(t, s, "10.0.0.2:1", annQuery(ih, "b", 2, 0))
	r := mustAnnounce(t, s, "10.0.0.2:1", with(annQuery(ih, "b", 2, 0), "event", "stopped"))
	if len(r.peers(t)) != 0 || r.Complete != 0 || r.Incomplete != 1 {
		t.Errorf("stopped answer: %d peers, complete %d, incomplete %d; want 0, 0, 1",
			len(r.peers(t)), r.Complete, r.Incomplete)
	}
	got := addrs(mustAnnounce(t, s, "10.0.0.3:1", annQuery(ih, "c", 3, 1)).peers(t))
	if want := []string{"10.0.0.1:1"}; !slices.Equal(got, want) {
		t.Errorf("peers after stop = %v, want %v", got, want)
	}
}

func TestPeerIdentity(t *testing.T) {
	ih := hashOf("identity")
	s, _ := newTestServer(t, Config{}, ih)
	// Re-announcing a new address (from the same host, on a new connection)
	// moves the peer rather than adding one.
	mustAnnounce(t, s, "10.0.0.5:1", with(annQuery(ih, "a", 1, 1), "ip", "10.0.0.1"))
	mustAnnounce(t, s, "10.0.0.5:2", annQuery(ih, "a", 1, 1))
	// Same peer_id, different key: still the same peer (one client announces
	// with several keys).
	mustAnnounce(t, s, "10.0.0.5:3", with(annQuery(ih, "a", 1, 1), "key", "k1"))
	got := addrs(mustAnnounce(t, s, "10.0.0.9:1", annQuery(ih, "z", 9, 1)).peers(t))
	if want := []string{"10.0.0.5:1"}; !slices.Equal(got, want) {
		t.Errorf("peers = %v, want %v", got, want)
	}
	// Peer "a" is not handed to itself.
	got = addrs(mustAnnounce(t, s, "10.0.0.5:1", annQuery(ih, "a", 1, 1)).peers(t))
	if want := []string{"10.0.0.9:9"}; !slices.Equal(got, want) {
		t.Errorf("peers for a = %v, want %v", got, want)
	}
}

func TestSwarmsIsolated(t *testing.T) {
	ih1, ih2 := hashOf("one"), hashOf("two")
	s, _ := newTestServer(t, Config{}, ih1, ih2)
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih1, "a", 1, 1))
	mustAnnounce(t, s, "10.0.0.2:1", annQuery(ih2, "b", 2, 0))
	r := mustAnnounce(t, s, "10.0.0.3:1", annQuery(ih1, "c", 3, 1))
	if got := addrs(r.peers(t)); !slices.Equal(got, []string{"10.0.0.1:1"}) || r.Complete != 0 {
		t.Errorf("swarm one: peers %v, complete %d; want [10.0.0.1:1], 0", got, r.Complete)
	}
	r = mustAnnounce(t, s, "10.0.0.3:1", annQuery(ih2, "c", 3, 1))
	if got := addrs(r.peers(t)); !slices.Equal(got, []string{"10.0.0.2:2"}) || r.Complete != 1 {
		t.Errorf("swarm two: peers %v, complete %d; want [10.0.0.2:2], 1", got, r.Complete)
	}
}

func TestMalformedAnnounce(t *testing.T) {
	ih := hashOf("malformed")
	s, _ := newTestServer(t, Config{}, ih)
	good := annQuery(ih, "a", 6881, 1)
	tests := []struct {
		name, param string
		q           url.Values
	}{
		{"no info_hash", "info_hash", without(good, "info_hash")},
		{"short info_hash", "info_hash", with(good, "info_hash", "short")},
		{"long info_hash", "info_hash", with(good, "info_hash", strings.Repeat("x", 21))},
		{"no peer_id", "peer_id", without(good, "peer_id")},
		{"short peer_id", "peer_id", with(good, "peer_id", "abc")},
		{"no port", "port", without(good, "port")},
		{"port 0", "port", with(good, "port", "0")},
		{"port too big", "port", with(good, "port", "65536")},
		{"port not a number", "port", with(good, "port", "http")},
		{"negative uploaded", "uploaded", with(good, "uploaded", "-1")},
		{"non-numeric downloaded", "downloaded", with(good, "downloaded", "lots")},
		{"no left", "left", without(good, "left")},
		{"negative left", "left", with(good, "left", "-5")},
		{"unknown event", "event", with(good, "event", "paused")},
		{"bad compact", "compact", with(good, "compact", "yes")},
		{"bad no_peer_id", "no_peer_id", with(good, "no_peer_id", "2")},
		{"negative numwant", "numwant", with(good, "numwant", "-1")},
		{"ip not an address", "ip", with(good, "ip", "host.example")},
		{"key too long", "key", with(good, "key", strings.Repeat("k", 65))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := announce(t, s, "10.0.0.1:1", tt.q)
			if !strings.HasPrefix(r.FailureReason, tt.param+":") {
				t.Errorf("failure reason %q does not name %s", r.FailureReason, tt.param)
			}
		})
	}
	t.Run("bad escape", func(t *testing.T) {
		rec := get(t, s, "10.0.0.1:1", "/announce?info_hash=%zz")
		if !strings.Contains(rec.Body.String(), "failure reason") || rec.Code != 200 {
			t.Errorf("got %d %q, want 200 with a failure reason", rec.Code, rec.Body)
		}
	})
}

func TestUnregisteredInfoHash(t *testing.T) {
	s, _ := newTestServer(t, Config{}, hashOf("known"))
	r := announce(t, s, "10.0.0.1:1", annQuery(hashOf("unknown"), "a", 1, 1))
	if !strings.Contains(r.FailureReason, "unregistered info_hash "+hashOf("unknown").HexString()) {
		t.Errorf("failure reason = %q, want it to name the unregistered info-hash", r.FailureReason)
	}
	all, _ := newTestServer(t, Config{AllowAll: true})
	mustAnnounce(t, all, "10.0.0.1:1", annQuery(hashOf("anything"), "a", 1, 1))
}
