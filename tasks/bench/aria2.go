package bench

import (
	"github.com/murderfleet/murder/dist/torrentcheck"

	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/murderfleet/murder/internal/bencode"
)

// trackerPort is opentracker's port on the tracker host (murder's tracker
// keeps its own, 8998).
const trackerPort = 6969

// aria2Method is an off-the-shelf swarm: aria2c seeder and peers, with
// opentracker, on a torrent made by mktorrent.
type aria2Method struct {
	b       *bench
	torrent string
	hash    [20]byte // the torrent's info-hash
	otDir   string   // opentracker's chroot, holding its whitelist
	hook    string   // extracts once aria2c has the verified archive
	logPath string
	procs   []*proc // what the current transfer runs
}

// hookScript is aria2c's --on-bt-download-complete command: aria2c calls
// it with GID, number of files and path once every piece is verified, and
// seeds on meanwhile. A failure leaves DEST.failed for the driver to see.
const hookScript = `#!/bin/sh
mkdir -p "$(dirname "$BENCH_DEST")"
out=$(sh %q "$3" "$BENCH_SUM" "$BENCH_DEST" 2>&1) || printf '%%s\n' "$out" > "$BENCH_DEST.failed"
`

// newAria2 makes the torrent (with murder's piece length, so both swarms
// trade the same pieces) and the hook scripts.
func newAria2(ctx context.Context, b *bench) (*aria2Method, error) {
	dir := b.fleet.Dir()
	m := &aria2Method{b: b, torrent: filepath.Join(dir, "bench.torrent"), otDir: filepath.Join(dir, "opentracker"),
		hook: filepath.Join(dir, "aria2-done.sh"), logPath: filepath.Join(b.o.Out, "aria2.log")}
	extract := filepath.Join(dir, "extract.sh")
	if err := os.WriteFile(extract, []byte(extractScript), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(m.hook, fmt.Appendf(nil, hookScript, extract), 0o755); err != nil {
		return nil, err
	}
	src := b.path(b.seeder(), archive)
	fi, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	announce := fmt.Sprintf("http://%s/announce", net.JoinHostPort(b.tracker().IP, strconv.Itoa(trackerPort)))
	lg := strconv.Itoa(bits.TrailingZeros64(uint64(pieceLength(fi.Size()))))
	if out, err := exec.CommandContext(ctx, "mktorrent", "-a", announce, "-l", lg, "-o", m.torrent, src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mktorrent: %w: %s", err, out)
	}
	raw, err := torrentcheck.ReadFile(m.torrent)
	if err != nil {
		return nil, fmt.Errorf("mktorrent's torrent: %w", err)
	}
	tor, err := torrentcheck.Parse(raw, m.torrent)
	if err != nil {
		return nil, fmt.Errorf("mktorrent's torrent: %w", err)
	}
	m.hash = tor.InfoHash
	if err := os.MkdirAll(m.otDir, 0o755); err != nil {
		return nil, err
	}
	return m, os.WriteFile(filepath.Join(m.otDir, "whitelist"), []byte(hex.EncodeToString(m.hash[:])+"\n"), 0o644)
}

// pieceLength is murder's own choice, so that aria2c gets the same pieces.
var pieceLength = torrentcheck.PieceLength

// aria2Args are the flags of every aria2c: a closed swarm found through
// the tracker only (no DHT or local discovery), re-announcing every 15 s
// as murder's tracker asks its peers to; peer exchange stays on, as
// aria2c ships.
func aria2Args(ip string) []string {
	return []string{
		"--no-conf=true", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
		"--disable-ipv6=true", "--bt-tracker-interval=15", "--listen-port=6881", "--bt-external-ip=" + ip,
		"--dir=/tmp", "--allow-overwrite=true", "--file-allocation=none",
		"--seed-ratio=0.0", "--bt-stop-timeout=120", "--console-log-level=warn", "--summary-interval=0",
		"--show-console-readout=false", "--download-result=hide", "--auto-file-renaming=false",
	}
}

// prepare starts opentracker on the tracker host and an aria2c seeder on
// the seeder host, and waits until the tracker counts the seeder.
func (m *aria2Method) prepare(ctx context.Context, t *transfer) error {
	s, tr := m.b.seeder(), m.b.tracker()
	port := strconv.Itoa(trackerPort)
	// As root opentracker chroots into -d and drops privileges; the
	// whitelist path is inside the chroot.
	ot, err := startIn(tr, m.logPath, nil, "opentracker", "-i", tr.IP, "-p", port, "-P", port, "-d", m.otDir, "-w", "/whitelist")
	if err != nil {
		return err
	}
	m.procs = append(m.procs, ot)
	if err := m.waitTracker(ctx, ot); err != nil {
		return err
	}
	// The seeder keeps its own notice-level log: the one time in several
	// reference runs that the tracker never counted it, the console said
	// nothing.
	seedLog := filepath.Join(m.b.o.Out, t.tag+"-seeder.log")
	seed, err := startIn(s, m.logPath, nil, append([]string{"aria2c"}, append(aria2Args(s.IP), "--check-integrity=true", "--log="+seedLog, "--log-level=notice", m.torrent)...)...)
	if err != nil {
		return err
	}
	m.procs = append(m.procs, seed)
	return m.waitSeeder(ctx, seed)
}

// waitTracker waits until opentracker accepts connections.
func (m *aria2Method) waitTracker(ctx context.Context, ot *proc) error {
	addr := net.JoinHostPort(m.b.tracker().IP, strconv.Itoa(trackerPort))
	return pollUntil(ctx, 15*time.Second, func() (bool, error) {
		if done, err := ot.exited(); done {
			return false, fmt.Errorf("opentracker exited: %v (see %s)", err, m.logPath)
		}
		c, err := net.DialTimeout("tcp", addr, 250*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil, nil
	})
}

// waitSeeder waits until the tracker's scrape counts a complete peer: the
// seeder has checked its file and announced.
func (m *aria2Method) waitSeeder(ctx context.Context, seed *proc) error {
	addr := net.JoinHostPort(m.b.tracker().IP, strconv.Itoa(trackerPort))
	query := "/scrape?info_hash=" + url.QueryEscape(string(m.hash[:]))
	var last string
	err := pollUntil(ctx, 2*time.Minute, func() (bool, error) {
		if done, err := seed.exited(); done {
			return false, fmt.Errorf("aria2c seeder exited: %v (see %s)", err, m.logPath)
		}
		n, err := scrapeComplete(ctx, addr, query, m.hash)
		last = fmt.Sprintf("%d complete", n)
		if err != nil {
			last = err.Error()
		}
		return err == nil && n > 0, nil
	})
	if err != nil && last != "" {
		return fmt.Errorf("the tracker never counted the aria2c seeder as complete (last scrape: %s; see %s): %w", last, m.logPath, err)
	}
	return err
}

// scrapeComplete returns the number of seeders a tracker's scrape
// reports. It speaks HTTP/1.0 itself rather than through net/http: the
// bench links into the project's magefile, which would otherwise compile
// all of net/http for this one request.
func scrapeComplete(ctx context.Context, addr, query string, hash [20]byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", query, addr); err != nil {
		return 0, err
	}
	resp, err := io.ReadAll(io.LimitReader(c, 1<<20))
	if err != nil {
		return 0, err
	}
	head, body, _ := bytes.Cut(resp, []byte("\r\n\r\n"))
	status, _, _ := bytes.Cut(head, []byte("\r\n"))
	if f := strings.Fields(string(status)); len(f) < 2 || f[1] != "200" {
		return 0, fmt.Errorf("scrape: %q", status)
	}
	v, err := bencode.Decode(body)
	if err != nil {
		return 0, fmt.Errorf("scrape: %w", err)
	}
	files, _ := v.(map[string]any)["files"].(map[string]any)
	swarm, _ := files[string(hash[:])].(map[string]any)
	n, _ := swarm["complete"].(int64)
	return int(n), nil
}

// run starts an aria2c on every receiver and waits until each has renamed
// its extracted copy into place.
func (m *aria2Method) run(ctx context.Context, t *transfer) error {
	env := []string{"BENCH_DEST=" + destDir + "/" + t.tag, "BENCH_SUM=" + m.b.sum}
	peers := make([]*proc, len(t.receivers))
	for i, h := range t.receivers {
		args := append(append([]string{"aria2c"}, aria2Args(h.IP)...), "--seed-time=0.5", "--on-bt-download-complete="+m.hook, m.torrent)
		p, err := startIn(h, m.logPath, env, args...)
		if err != nil {
			return err
		}
		peers[i] = p
		m.procs = append(m.procs, p)
	}
	done := make([]bool, len(t.receivers))
	return pollUntil(ctx, 0, func() (bool, error) {
		all := true
		for i, h := range t.receivers {
			if !done[i] {
				d, err := m.done(h.Name, m.b.path(h, destDir+"/"+t.tag), peers[i])
				done[i], all = d, all && d
				if err != nil {
					return false, err
				}
			}
		}
		return all, nil
	})
}

// done reports whether a receiver holds its copy, or why it never will.
func (m *aria2Method) done(host, dest string, p *proc) (bool, error) {
	if _, err := os.Stat(dest); err == nil {
		return true, nil
	}
	if msg, err := os.ReadFile(dest + ".failed"); err == nil {
		return false, fmt.Errorf("host %s: extract: %s", host, msg)
	}
	// aria2c ends 30 s after its download, and the hook it started may
	// still be extracting then on a busy machine: only a failed aria2c
	// means the copy will never come.
	if exited, err := p.exited(); exited && err != nil {
		return false, fmt.Errorf("host %s: aria2c failed before its copy was complete: %v (see %s)", host, err, m.logPath)
	}
	return false, nil
}

// finish stops the transfer's peers, seeder and tracker.
func (m *aria2Method) finish(*transfer) error {
	err := stopAll(m.procs, 5*time.Second)
	m.procs = nil
	return err
}

func (m *aria2Method) close() error { return m.finish(nil) }

// pollUntil calls ready every 50 ms until it says yes or fails, ctx ends
// or limit (if not 0) passes.
func pollUntil(ctx context.Context, limit time.Duration, ready func() (bool, error)) error {
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	for {
		ok, err := ready()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
