package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/murderfleet/murder/dist/passkey"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/dist/archive"
	"github.com/murderfleet/murder/dist/tracker"
	"github.com/murderfleet/murder/tasks/testfleet"
)

// The outsider tests run a deployment (h01 tracker, h02 seeder, the rest
// peers) on a fleet with one more host, the outsider: on the same LAN,
// reachable and able to reach everyone, but not in murder.yaml. It plays
// someone on the network who knows the tracker's address, and sometimes
// more (a leaked peer_id or token), and must neither read, join nor
// disturb the transfer (README, "What an outsider on the network gets").

// newOutsiderDeployment is a deployment of hosts-1 hosts plus the outsider,
// the fleet's last host, left out of murder.yaml. The sample holds a
// secrets.env (mode 0600) with a unique marker, returned.
func newOutsiderDeployment(t *testing.T, hosts int) (d *deployment, outsider *testfleet.Host, marker string) {
	d = newBareDeployment(t, testfleet.Options{Hosts: hosts, TmpSize: "256m"}, "murder-outsider-")
	writeSample(t, d.sample)
	marker = writeSecrets(t, d.sample)
	insiders := d.fleet.Hosts[:hosts-1]
	d.writeConfigOf(insiders, "", func(h *testfleet.Host) string { return h.IP })
	t.Cleanup(d.stopEverything)
	return d, d.fleet.Hosts[hosts-1], marker
}

// writeSecrets writes secrets.env, mode 0600, with a fresh marker line
// between two runs of 128 KiB of random bytes. The random bytes are there
// so that gzip stores that stretch of the archive as it is: in a plaintext
// archive the marker travels verbatim (checked by plaintextHasMarker), so
// its absence from a capture shows the encryption at work, not the
// compression.
func writeSecrets(t *testing.T, dir string) string {
	t.Helper()
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	marker := "MURDER-SECRET-MARKER-" + hex.EncodeToString(id)
	pad := make([]byte, 256<<10)
	if _, err := rand.Read(pad); err != nil {
		t.Fatal(err)
	}
	var content []byte
	content = append(append(content, "MURDER_BLOB1="...), pad[:128<<10]...)
	content = append(content, "\nMURDER_SECRET="+marker+"\nMURDER_BLOB2="...)
	content = append(append(content, pad[128<<10:]...), '\n')
	if err := os.WriteFile(filepath.Join(dir, "secrets.env"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	return marker
}

// transfer is what the local .torrent of tag says.
type transfer struct {
	infoHash metainfo.Hash
	token    string
	base     string // http://TRACKER:PORT
	port     uint16 // the tracker's
	length   int64  // of the (encrypted) archive
}

func readTransfer(t *testing.T, d *deployment, tag string) transfer {
	t.Helper()
	mi, err := metainfo.LoadFromFile(filepath.Join(d.local, tag+".tgz.torrent"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(mi.Announce)
	if err != nil {
		t.Fatal(err)
	}
	tok, ok := strings.CutSuffix(strings.TrimPrefix(u.Path, "/"), "/announce")
	if !ok || passkey.Valid(tok) != nil {
		t.Fatalf("announce URL %q carries no token", mi.Announce)
	}
	port, err := strconv.ParseUint(u.Port(), 10, 16)
	if err != nil {
		t.Fatalf("announce URL %q: %v", mi.Announce, err)
	}
	return transfer{infoHash: mi.HashInfoBytes(), token: tok, base: u.Scheme + "://" + u.Host, port: uint16(port), length: info.TotalLength()}
}

// announceURL is an announce of info_hash ih by peer_id id on path (""
// for the tokenless /announce), with extra parameters.
func announceURL(base, token string, ih, id [20]byte, extra url.Values) string {
	q := url.Values{"info_hash": {string(ih[:])}, "peer_id": {string(id[:])}, "port": {"6881"},
		"uploaded": {"0"}, "downloaded": {"0"}, "left": {"0"}, "compact": {"1"}}
	for k, v := range extra {
		q[k] = v
	}
	path := "/announce"
	if token != "" {
		path = "/" + token + "/announce"
	}
	return base + path + "?" + q.Encode()
}

// refusal says why an answer of the tracker is a refusal: a 401, or a 200
// whose bencoded body is only a failure reason; ok is false for anything
// else. An empty scrape (no files) is also a refusal, telling nothing.
func refusal(code int, body []byte) (why string, ok bool) {
	if code == 401 {
		return "401 " + strings.TrimSpace(string(body)), true
	}
	if code != 200 {
		return "", false
	}
	var m map[string]any
	if err := bencode.Unmarshal(body, &m); err != nil {
		return "", false
	}
	if fr, isStr := m["failure reason"].(string); isStr && len(m) == 1 {
		return "failure reason: " + fr, true
	}
	if files, isMap := m["files"].(map[string]any); isMap && len(files) == 0 && len(m) == 1 {
		return "empty scrape: " + string(body), true
	}
	return "", false
}

// leaks lists which of the transfer's secrets and the fleet's addresses
// body contains: the info-hash (raw, hex, URL-escaped), the token, and
// every insider's address (dotted and as a compact 4-byte peer).
func leaks(body []byte, tr transfer, insiders []*testfleet.Host, withInfoHash bool) []string {
	var out []string
	has := func(what string, needle []byte) {
		if len(needle) > 0 && bytes.Contains(body, needle) {
			out = append(out, what)
		}
	}
	if withInfoHash {
		has("raw info-hash", tr.infoHash[:])
		has("hex info-hash", []byte(tr.infoHash.HexString()))
		has("HEX info-hash", []byte(strings.ToUpper(tr.infoHash.HexString())))
		has("escaped info-hash", []byte(url.QueryEscape(string(tr.infoHash[:]))))
	}
	has("token", []byte(tr.token))
	for _, h := range insiders {
		a := netip.MustParseAddr(h.IP).As4()
		has("address "+h.IP, []byte(h.IP))
		has("compact address "+h.IP, a[:])
	}
	return out
}

// statusOf is the swarm of ih in the tracker's /status?peers=1, asked
// with the admin token from the tracker host itself.
func statusOf(t *testing.T, trk *testfleet.Host, tr transfer, admin string) (tracker.Swarm, bool) {
	t.Helper()
	code, body, err := getIn(trk, tr.base+"/status?peers=1", admin)
	if err != nil || code != 200 {
		t.Fatalf("admin /status: %d %v: %s", code, err, body)
	}
	var st tracker.Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("admin /status: %v: %s", err, body)
	}
	for _, sw := range st.Swarms {
		if sw.InfoHash == tr.infoHash.HexString() {
			return sw, true
		}
	}
	return tracker.Swarm{}, false
}

func readAdminToken(t *testing.T, trk *testfleet.Host) string {
	t.Helper()
	b, err := os.ReadFile(trk.Path("/tmp/murder/run/tracker.admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// plaintextHasMarker packs the sample as a plaintext archive (what the
// seeder would pack with encrypt=0) and reports whether the marker shows
// in it: the control that makes the capture's check mean something.
func plaintextHasMarker(t *testing.T, sample, marker string) bool {
	t.Helper()
	var b bytes.Buffer
	if err := archive.Pack(context.Background(), &b, sample, []string{".git*"}); err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b.Bytes(), []byte(marker))
}

// TestOutsiderLearnsNothing captures every frame on the fleet's bridge
// during the manual sequence and checks that the files' content and the
// info-hash never show on the peer-wire, then asks the tracker, from a
// host outside the deployment that knows only its address, everything it
// answers, and gets refusals that name no transfer and no peer.
func TestOutsiderLearnsNothing(t *testing.T) {
	start := time.Now()
	d, outsider, marker := newOutsiderDeployment(t, 5)
	insiders := d.fleet.Hosts[:len(d.fleet.Hosts)-1]
	peers := insiders[2:]
	if !plaintextHasMarker(t, d.sample, marker) {
		t.Fatal("control: the marker does not show in a plaintext archive of the sample; the capture check would prove nothing")
	}

	// The agent is public and travels before the capture: its ~80 MB
	// (four copies) made the kernel drop frames on a busy machine, and a
	// capture with gaps proves nothing.
	d.mustRun("murder:distribute_files")
	capFile := filepath.Join(d.dir, "fleet.pcap")
	c := startCapture(t, fleetBridge(t, d.fleet), capFile)

	const tag = "Secret1"
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag="+tag, "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag="+tag)
	d.mustRun("murder:peer", "tag="+tag, "destination_path=/tmp/dest")
	d.verify("/tmp/dest/"+tag, peers...)
	for _, h := range peers {
		fi, err := os.Stat(h.Path("/tmp/dest/" + tag + "/secrets.env"))
		if err != nil {
			t.Errorf("host %s: %v", h.Name, err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("host %s: secrets.env has mode %v, want 0600", h.Name, fi.Mode().Perm())
		}
	}
	for _, p := range []string{"/tmp/murder", "/tmp/dest", "/tmp/" + tag + ".tgz"} {
		if _, err := os.Lstat(outsider.Path(p)); !os.IsNotExist(err) {
			t.Errorf("outsider %s: %s exists (%v); murder must not touch a host outside murder.yaml", outsider.Name, p, err)
		}
	}
	tr := readTransfer(t, d, tag)

	// The outsider, knowing only the tracker's address, asks everything the
	// tracker answers while the seeder is still in the swarm.
	t.Run("outsider asks the tracker", func(t *testing.T) {
		madeUpIH := metainfo.HashBytes([]byte("made-up " + marker))
		var madeUpID [20]byte
		copy(madeUpID[:], "-XX0001-outsider0001")
		madeUpToken, err := passkey.New()
		if err != nil {
			t.Fatal(err)
		}
		esc := func(h metainfo.Hash) string { return url.QueryEscape(string(h[:])) }
		type probe struct {
			path, bearer string
			// sentIH: the probe sends the transfer's real info-hash (as if
			// captured off the wire), which a refusal may echo.
			sentIH bool
			// twin: probes of the same twin, one with a made-up info-hash
			// and one with the real one, must get the same answer (but for
			// the echoed hex): the tracker does not even confirm that it
			// tracks a sniffed info-hash.
			twin string
		}
		probes := []probe{
			{path: "/scrape"},
			{path: "/scrape?info_hash=" + esc(madeUpIH), twin: "scrape"},
			{path: "/scrape?info_hash=" + esc(tr.infoHash), sentIH: true, twin: "scrape"},
			{path: "/" + madeUpToken + "/scrape"},
			{path: "/" + madeUpToken + "/scrape?info_hash=" + esc(madeUpIH), twin: "token scrape"},
			{path: "/" + madeUpToken + "/scrape?info_hash=" + esc(tr.infoHash), sentIH: true, twin: "token scrape"},
			{path: "/status"},
			{path: "/status?peers=1"},
			{path: "/status?peers=1", bearer: madeUpToken},
			{path: "/status?peers=1&token=" + madeUpToken, bearer: madeUpToken},
			{path: "/metrics"},
			{path: "/metrics", bearer: madeUpToken},
			{path: announceURL("", "", madeUpIH, madeUpID, nil), twin: "announce"},
			{path: announceURL("", "", tr.infoHash, madeUpID, nil), sentIH: true, twin: "announce"},
			{path: announceURL("", madeUpToken, madeUpIH, madeUpID, nil), twin: "token announce"},
			{path: announceURL("", madeUpToken, tr.infoHash, madeUpID, nil), sentIH: true, twin: "token announce"},
			{path: announceURL("", madeUpToken, tr.infoHash, madeUpID, url.Values{"event": {"stopped"}}), sentIH: true},
		}
		twins := map[string][2]string{} // twin: answers to the made-up and the real info-hash
		for _, p := range probes {
			code, body, err := getIn(outsider, tr.base+p.path, p.bearer)
			if err != nil {
				t.Errorf("GET %s: %v", p.path, err)
				continue
			}
			name := p.path
			if len(name) > 60 {
				name = name[:60] + "..."
			}
			if p.bearer != "" {
				name += " (bearer: made up)"
			}
			why, ok := refusal(code, body)
			if !ok {
				t.Errorf("outsider GET %s: not a refusal: %d %q", name, code, body)
				continue
			}
			if l := leaks(body, tr, insiders, !p.sentIH); len(l) > 0 {
				t.Errorf("outsider GET %s: the answer leaks %s: %q", name, strings.Join(l, ", "), body)
				continue
			}
			t.Logf("outsider GET %s -> %s", name, why)
			if p.twin != "" {
				a := twins[p.twin]
				if p.sentIH {
					a[1] = strings.ReplaceAll(string(body), tr.infoHash.HexString(), madeUpIH.HexString())
				} else {
					a[0] = string(body)
				}
				twins[p.twin] = a
			}
		}
		for name, a := range twins {
			if a[0] != a[1] {
				t.Errorf("%s: the tracker answers a made-up info-hash and the transfer's differently, confirming the sniffed one:\n made up: %q\n real:    %q", name, a[0], a[1])
			}
		}
	})

	d.mustRun("murder:stop_seeding", "tag="+tag)
	d.mustRun("murder:stop_tracker")
	f := analyze(t, c, tr, marker, outsider)
	// The files: not a byte of the plaintext crosses the LAN.
	if f.markerAt >= 0 {
		t.Errorf("the marker of secrets.env is in the capture at byte %d: the files travel in clear", f.markerAt)
	} else {
		t.Logf("marker %s: absent from all %d captured bytes", marker, f.capturedBytes)
	}
	// The info-hash, the token, the peer lists: not on the peer-wire (TLS
	// keyed by the transfer hides the BitTorrent handshake's), nor in the
	// announces, which go over TLS too, nor anywhere in hex.
	for _, l := range f.ihLeaks {
		t.Errorf("%s", l)
	}
	if i := bytes.Index(f.raw, []byte(tr.token)); i >= 0 {
		t.Errorf("the transfer's token is in the capture at byte %d", i)
	}
	// Controls: the capture saw the swarm's traffic and the announces.
	if want := int(tr.length) * len(peers); f.wireBytes < want {
		t.Errorf("control: the capture holds %d bytes of peer-wire, less than the %d the peers downloaded: it missed the swarm", f.wireBytes, want)
	}
	if f.tlsAnnounces == 0 {
		t.Errorf("control: no TLS connection to the tracker in the capture: it missed the tracker's leg")
	}
	if len(f.ihLeaks) == 0 {
		t.Logf("info-hash %s: absent from %d bytes of peer-wire (TCP off port %d, UDP, non-IPv4) and from the %d TLS connections to the tracker",
			tr.infoHash.HexString(), f.wireBytes, tr.port, f.tlsAnnounces)
	}

	// The same analysis of an encrypt=0 transfer must find both the marker
	// and the info-hash: it shows that the checks above can see a leak.
	t.Run("control: encrypt=0 shows both", func(t *testing.T) {
		c := startCapture(t, fleetBridge(t, d.fleet), filepath.Join(d.dir, "plain.pcap"))
		const tag = "Plain1"
		d.mustRun("murder:start_tracker")
		d.mustRun("murder:create_torrent", "tag="+tag, "files_path="+d.sample, "encrypt=0")
		d.mustRun("murder:start_seeding", "tag="+tag, "encrypt=0")
		d.mustRun("murder:peer", "tag="+tag, "destination_path=/tmp/plain", "encrypt=0")
		d.verify("/tmp/plain/"+tag, peers...)
		d.mustRun("murder:stop_seeding", "tag="+tag, "encrypt=0")
		d.mustRun("murder:stop_tracker")
		c.stop()
		tr := readTransfer(t, d, tag)
		f := analyze(t, c, tr, marker, outsider)
		if f.markerAt < 0 {
			t.Errorf("encrypt=0: the marker is not in the capture; the encrypt=1 check proves nothing")
		}
		if len(f.ihLeaks) == 0 {
			t.Errorf("encrypt=0: the raw info-hash is in no peer-wire stream; the encrypt=1 check proves nothing")
		}
		t.Logf("encrypt=0: marker at byte %d of the capture; info-hash found: %s", f.markerAt, strings.Join(f.ihLeaks, "; "))
	})
	t.Logf("runtime %v", time.Since(start).Round(time.Second))
}

// findings is what analyze found in a capture.
type findings struct {
	capturedBytes int
	markerAt      int      // offset of the marker in the pcap file, -1 if absent
	ihLeaks       []string // where the info-hash shows off the tracker's leg
	wireBytes     int      // payload bytes of the peer-wire (TCP off ports 22 and the tracker's, UDP)
	tlsAnnounces  int      // TCP streams to the tracker that start with a TLS handshake
	raw           []byte   // the capture
}

// analyze stops c and searches its capture for the marker (anywhere, in
// the raw file) and for the transfer's info-hash: raw in every TCP stream
// off the tracker's port and every UDP datagram and non-IPv4 frame, in hex
// everywhere except the outsider's own exchanges with the tracker (its
// probes send the info-hash and the refusals may echo it).
func analyze(t *testing.T, c *capture, tr transfer, marker string, outsider *testfleet.Host) findings {
	t.Helper()
	c.stop()
	if n := c.dropped(); n != 0 {
		t.Errorf("tcpdump: %d packets dropped by kernel (-1: count not reported); the capture is incomplete:\n%s", n, c.stderr.String())
	}
	pc, err := readPcap(c.file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("capture: %d frames (%d not IPv4), %d bytes, %d TCP directions, %d UDP flows; tcpdump: %s",
		pc.frames, len(pc.other), len(pc.raw), len(pc.streams), len(pc.datagrams), c.counts())
	f := findings{capturedBytes: len(pc.raw), markerAt: bytes.Index(pc.raw, []byte(marker)), raw: pc.raw}
	raw, hexL, hexU := tr.infoHash[:], []byte(tr.infoHash.HexString()), []byte(strings.ToUpper(tr.infoHash.HexString()))
	outsiderAddr := netip.MustParseAddr(outsider.IP)
	for fl, s := range pc.streams {
		fromOutsider := fl.src.Addr() == outsiderAddr || fl.dst.Addr() == outsiderAddr
		if !fromOutsider && (bytes.Contains(s, hexL) || bytes.Contains(s, hexU)) {
			f.ihLeaks = append(f.ihLeaks, fmt.Sprintf("%v: carries the info-hash in hex", fl))
		}
		if fl.hasPort(tr.port) {
			switch {
			case fromOutsider || fl.dst.Port() != tr.port:
			case announceCarries(s, raw):
				f.ihLeaks = append(f.ihLeaks, fmt.Sprintf("%v: an announce for the info-hash in clear HTTP", fl))
			case len(s) > 1 && s[0] == 0x16:
				f.tlsAnnounces++
			}
			continue
		}
		if i := bytes.Index(s, raw); i >= 0 {
			f.ihLeaks = append(f.ihLeaks, fmt.Sprintf("%v: carries the raw info-hash at byte %d of %d", fl, i, len(s)))
		}
		if !fl.hasPort(22) {
			f.wireBytes += len(s)
		}
	}
	for fl, ds := range pc.datagrams {
		for _, p := range ds {
			if bytes.Contains(p, raw) || bytes.Contains(p, hexL) || bytes.Contains(p, hexU) {
				f.ihLeaks = append(f.ihLeaks, fmt.Sprintf("%v: a datagram carries the info-hash", fl))
				break
			}
			f.wireBytes += len(p)
		}
	}
	for i, fr := range pc.other {
		if bytes.Contains(fr, raw) || bytes.Contains(fr, hexL) || bytes.Contains(fr, hexU) {
			f.ihLeaks = append(f.ihLeaks, fmt.Sprintf("non-IPv4 frame %d of %d carries the info-hash", i, len(pc.other)))
		}
	}
	return f
}

// announceCarries reports whether an HTTP request stream holds an announce
// whose info_hash parameter is ih.
func announceCarries(stream, ih []byte) bool {
	for _, line := range bytes.Split(stream, []byte("\r\n")) {
		_, rest, ok := bytes.Cut(line, []byte("GET "))
		if !ok {
			continue
		}
		target, _, _ := bytes.Cut(rest, []byte(" "))
		u, err := url.Parse(string(target))
		if err != nil {
			continue
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err == nil && q.Get("info_hash") == string(ih) {
			return true
		}
	}
	return false
}

// TestOutsiderForgedAnnounce: the outsider, with a real peer's peer_id
// and even the transfer's token leaked to it, announces as that peer
// (stopped; another port; another address; leeching) and is refused each
// time; the tracker's entry for the peer stays as it was, and the
// transfer completes.
func TestOutsiderForgedAnnounce(t *testing.T) {
	start := time.Now()
	d, outsider, _ := newOutsiderDeployment(t, 5)
	insiders := d.fleet.Hosts[:len(d.fleet.Hosts)-1]
	trk, seeder, peers := insiders[0], insiders[1], insiders[2:]

	const tag = "Forge1"
	d.mustRun("murder:distribute_files")
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag="+tag, "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag="+tag)
	tr := readTransfer(t, d, tag)
	admin := readAdminToken(t, trk)

	// The seeder's entry, registered by start_seeding.
	entryOn := func(sw tracker.Swarm, ip string) (tracker.Peer, bool) {
		for _, p := range sw.Peers {
			if strings.HasPrefix(p.Addr, ip+":") {
				return p, true
			}
		}
		return tracker.Peer{}, false
	}
	var victim tracker.Peer
	waitFor(20*time.Second, func() bool {
		sw, ok := statusOf(t, trk, tr, admin)
		if !ok {
			return false
		}
		var found bool
		victim, found = entryOn(sw, seeder.IP)
		return found
	})
	if victim.PeerID == "" {
		t.Fatalf("the seeder %s is not in the tracker's swarm after start_seeding", seeder.IP)
	}
	t.Logf("victim (the seeder, as leaked from /status?peers=1): peer_id %s addr %s", victim.PeerID, victim.Addr)

	forge := func(t *testing.T, victim tracker.Peer, host *testfleet.Host) {
		idb, err := hex.DecodeString(victim.PeerID)
		if err != nil || len(idb) != 20 {
			t.Fatalf("peer_id %q: %v", victim.PeerID, err)
		}
		var id [20]byte
		copy(id[:], idb)
		before, _ := statusOf(t, trk, tr, admin)
		port := victim.Addr[strings.LastIndex(victim.Addr, ":")+1:]
		otherPort := "1"
		if port == "1" {
			otherPort = "2"
		}
		forged := []struct {
			name  string
			token string
			q     url.Values
		}{
			{"stopped", tr.token, url.Values{"event": {"stopped"}, "port": {port}}},
			{"stopped, own ip given", tr.token, url.Values{"event": {"stopped"}, "port": {port}, "ip": {host.IP}}},
			{"another port", tr.token, url.Values{"port": {otherPort}}},
			{"another address (the outsider's)", tr.token, url.Values{"event": {"started"}, "port": {port}, "ip": {outsider.IP}}},
			{"another address (another peer's)", tr.token, url.Values{"port": {"6881"}, "ip": {peers[0].IP}}},
			{"leeching again", tr.token, url.Values{"port": {port}, "left": {"1000"}}},
			{"completed", tr.token, url.Values{"port": {port}, "event": {"completed"}}},
			{"stopped, no token", "", url.Values{"event": {"stopped"}, "port": {port}}},
		}
		for _, f := range forged {
			code, body, err := getIn(outsider, announceURL(tr.base, f.token, tr.infoHash, id, f.q), "")
			if err != nil {
				t.Errorf("forged announce (%s): %v", f.name, err)
				continue
			}
			why, ok := refusal(code, body)
			if !ok {
				t.Errorf("forged announce (%s) accepted: %d %q", f.name, code, body)
				continue
			}
			t.Logf("forged announce (%s) -> %s", f.name, why)
		}
		after, ok := statusOf(t, trk, tr, admin)
		if !ok {
			t.Fatal("the swarm is gone from the tracker after the forged announces")
		}
		got, found := entryOn(after, host.IP)
		switch {
		case !found:
			t.Errorf("host %s's entry is gone after the forged announces; swarm: %+v", host.Name, after.Peers)
		case got.PeerID != victim.PeerID || got.Addr != victim.Addr:
			t.Errorf("host %s's entry moved: was %+v, now %+v", host.Name, victim, got)
		case got.LastSeen.Equal(victim.LastSeen) && got != victim:
			// No announce was accepted since (last_seen is the same), yet
			// the entry changed: a forged one got through.
			t.Errorf("host %s's entry changed without an announce of its own: was %+v, now %+v", host.Name, victim, got)
		case !got.LastSeen.Equal(victim.LastSeen) && got.Left == 1000:
			t.Errorf("host %s's entry took the forged left=1000: %+v", host.Name, got)
		case !got.LastSeen.Equal(victim.LastSeen):
			// The real peer re-announced meanwhile (anacrolix does, on its
			// own schedule): only what the forgeries tried must be as before.
			t.Logf("host %s re-announced meanwhile; its entry is still its own: peer_id %s addr %s seed %v left %d", host.Name, got.PeerID, got.Addr, got.Seed, got.Left)
		default:
			t.Logf("host %s's entry unchanged: peer_id %s addr %s seed %v left %d last_seen %s", host.Name, got.PeerID, got.Addr, got.Seed, got.Left, got.LastSeen.Format(time.RFC3339Nano))
		}
		listed := map[string]bool{}
		for _, p := range after.Peers {
			listed[p.PeerID] = true
			if strings.HasPrefix(p.Addr, outsider.IP+":") || strings.HasSuffix(p.Addr, ":"+otherPort) {
				t.Errorf("the swarm lists a forged entry: %+v", p)
			}
		}
		for _, p := range before.Peers {
			if !listed[p.PeerID] {
				t.Errorf("peer %s (%s) left the swarm during the forged announces", p.PeerID, p.Addr)
			}
		}
	}
	t.Run("as the seeder", func(t *testing.T) { forge(t, victim, seeder) })

	// The swarm still works: every peer completes with the right files.
	d.mustRun("murder:peer", "tag="+tag, "destination_path=/tmp/dest")
	d.verify("/tmp/dest/"+tag, peers...)

	// If the peers are still listed, forge their peer_id too.
	if sw, ok := statusOf(t, trk, tr, admin); ok {
		if p, found := entryOn(sw, peers[0].IP); found {
			t.Run("as a peer", func(t *testing.T) { forge(t, p, peers[0]) })
		} else {
			t.Logf("peer %s no longer listed after murder:peer; forged only the seeder's entry", peers[0].IP)
		}
		if s, found := entryOn(sw, seeder.IP); !found || s.PeerID != victim.PeerID {
			t.Errorf("the seeder's entry is gone or changed after the transfer: %+v", sw.Peers)
		}
	}
	d.mustRun("murder:stop_seeding", "tag="+tag)
	d.mustRun("murder:stop_tracker")
	t.Logf("runtime %v", time.Since(start).Round(time.Second))
}
