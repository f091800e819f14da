package scalebench

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/remote"
)

func TestSplitWordsRoundTripsQuote(t *testing.T) {
	argv := []string{"/srv/my app/murder-agent", "pack", "--exclude", ".git*", "it's", "", `a"b\c$d`, "plain/path.tgz"}
	got, err := SplitWords(remote.Command(argv...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, argv) {
		t.Fatalf("got %q, want %q", got, argv)
	}
}

func TestSplitWordsShell(t *testing.T) {
	for line, want := range map[string][]string{
		`a  b	c`:                  {"a", "b", "c"},
		`"x \"y\" \$z \n"`:        {`x "y" $z \n`},
		`a\ b 'c d'e`:             {"a b", "c de"},
		`sh -c 'echo '\''hi'\'''`: {"sh", "-c", "echo 'hi'"},
	} {
		got, err := SplitWords(line)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, bad := range []string{`'open`, `"open`, `end\`} {
		if _, err := SplitWords(bad); err == nil {
			t.Errorf("SplitWords(%q): no error", bad)
		}
	}
}

// clock is a settable clock for the agent.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

const agentPath = "/srv/murder-sim/murder-agent"

func cmd(argv ...string) string { return remote.Command(append([]string{agentPath}, argv...)...) }

func TestPeerStateMachine(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m := Model{Size: 1000, Rate: 100, ExtractDelay: 50 * time.Millisecond, UID: "0"}
	a := NewAgent(m, c.now)
	status := cmd("status", "--run-dir", "/srv/murder-sim/run", "peer", "T1")
	if k, r := a.Handle(status, nil); k != KStatus || !strings.HasPrefix(r.Stdout, "error: ") {
		t.Fatalf("status before peer: %v %+v", k, r)
	}
	if k, r := a.Handle(cmd("peer", "--no-wait", "--run-dir", "/r", "--tag", "T1", "--require-encryption", "/tmp/T1.tgz.torrent", "/tmp/T1.tgz"), nil); k != KPeer || r.Status != 0 {
		t.Fatalf("peer: %v %+v", k, r)
	}
	c.t = c.t.Add(3 * time.Second)
	if _, r := a.Handle(status, nil); !strings.HasPrefix(r.Stdout, "progress have=300 total=1000 ") || r.Wait != 0 {
		t.Fatalf("status at 3s: %+v", r)
	}
	// --wait shorter than what is left: answers after the wait, with the
	// bytes held then.
	wait := cmd("status", "--run-dir", "/r", "--wait", "2s", "peer", "T1")
	if _, r := a.Handle(wait, nil); !strings.HasPrefix(r.Stdout, "progress have=500 ") || r.Wait != 2*time.Second {
		t.Fatalf("status --wait 2s at 3s: %+v", r)
	}
	// --wait longer than what is left: "done" when the download and the
	// peer's own extraction end.
	done := "done first_byte=0.000 downloaded=10.000 extracted=10.050 from_seeder=0 from_peers=1000 extract_behind=0\n"
	long := cmd("status", "--run-dir", "/r", "--wait", "10s", "peer", "T1")
	if _, r := a.Handle(long, nil); r.Stdout != done || r.Wait != 7050*time.Millisecond {
		t.Fatalf("status --wait 10s at 3s: %+v", r)
	}
	c.t = c.t.Add(7050 * time.Millisecond)
	if _, r := a.Handle(status, nil); r.Stdout != done || r.Wait != 0 {
		t.Fatalf("status at 10.05s: %+v", r)
	}
	// A second peer --no-wait keeps the first start.
	a.Handle(cmd("peer", "--no-wait", "--tag", "T1", "/t", "/f"), nil)
	if _, r := a.Handle(status, nil); r.Stdout != done {
		t.Fatalf("restart reset the download: %+v", r)
	}
	if k, r := a.Handle(cmd("extract", "--torrent", "/t", "--identity-file", "-", "/tmp/T1.tgz", "/srv/app/T1"), []byte("KEY")); k != KExtract || r.Wait != m.ExtractDelay {
		t.Fatalf("extract: %v %+v", k, r)
	}
	if k, _ := a.Handle(cmd("stop", "--missing-ok", "--run-dir", "/r", "peer", "T1"), nil); k != KStop {
		t.Fatalf("stop: %v", k)
	}
	if _, r := a.Handle(status, nil); !strings.HasPrefix(r.Stdout, "error: ") {
		t.Fatalf("status after stop: %+v", r)
	}
}

func TestDistributeShellLines(t *testing.T) {
	a := NewAgent(Model{UID: "1000"}, nil)
	dir := "/srv/murder-sim"
	facts := `printf 'uname=%s\nuid=%s\nhome=%s\n' "$(uname -sm)" "$(id -u)" "$HOME" && { getent passwd 2>/dev/null || cat /etc/passwd; } | cut -d: -f6 | sed 's/^/home=/' && if [ -d ` + dir + ` ]; then cd -P -- ` + dir + ` && true; fi`
	k, r := a.Handle(remote.Command("sh", "-c", facts), nil)
	if k != KFacts || !strings.Contains(r.Stdout, "uname=Linux x86_64\nuid=1000\n") || strings.Contains(r.Stdout, "real=") {
		t.Fatalf("facts before prepare: %v %q", k, r.Stdout)
	}
	prepare := "mkdir -p -m 755 -- " + dir + " && cd -P -- " + dir + " && printf ..."
	k, r = a.Handle(remote.Command("sh", "-c", prepare), nil)
	if k != KPrepare || r.Stdout != "real="+dir+"\nowner=1000\nmode=755\ncount=0\n" {
		t.Fatalf("prepare: %v %q", k, r.Stdout)
	}
	k, r = a.Handle(remote.Command("sh", "-c", facts), nil)
	if k != KFacts || !strings.Contains(r.Stdout, "real="+dir+"\n") {
		t.Fatalf("facts after prepare: %v %q", k, r.Stdout)
	}
	if k, _ := a.Handle(remote.Command("sh", "-c", remote.Command(dir+"/murder-agent", "--version")+" 2>/dev/null || true"), nil); k != KVersion {
		t.Fatalf("version: %v", k)
	}
}

func TestCommandKinds(t *testing.T) {
	a := NewAgent(Model{Size: 10, Rate: 1}, nil)
	for line, want := range map[string]Kind{
		cmd("tracker", "--detach", "--port", "8998", "--run-dir", "/r"):                                        KTracker,
		cmd("pack", "--recipient", "age1x", "--exclude", ".git*", "/srv/build", "/tmp/T.tgz"):                  KPack,
		cmd("make-torrent", "--run-dir", "/r", "--token-file", "-", "/tmp/T.tgz", "h:1", "/tmp/T.tgz.torrent"): KMakeTorrent,
		cmd("seeder", "--detach", "--run-dir", "/r", "--tag", "T", "/t", "/f"):                                 KSeeder,
		cmd("prepare", "--check", "--require-empty", "/srv/app/T"):                                             KCheck,
		cmd("clean", "/a", "/b", "/c"):                                                                         KClean,
		cmd("stop", "--all", "--run-dir", "/r", "peer"):                                                        KStop,
		"rm -rf /": KOther,
	} {
		if k, _ := a.Handle(line, nil); k != want {
			t.Errorf("%s: kind %v, want %v", line, k, want)
		}
	}
	if _, r := a.Handle(cmd("pack", "/a", "/b"), nil); !strings.Contains(r.Stdout, "unpacked-size 10\n") {
		t.Errorf("pack output %q", r.Stdout)
	}
	if _, r := a.Handle(cmd("make-torrent", "--token-file", "-", "/tmp/T.tgz", "h:1", "/tmp/T.tgz.torrent"), nil); r.TorrentPath != "/tmp/T.tgz.torrent" {
		t.Errorf("make-torrent path %q", r.TorrentPath)
	}
}

func TestParseWords(t *testing.T) {
	o, err := ParseWords([]string{"hosts=1000,100,1000", "size=1000000", "rate=8mbit", "max_hosts=50", "profile=0"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Hosts, []int{100, 1000}) || o.Size != 1e6 || o.MaxHosts != 50 || o.Profile || o.SwarmTime() != time.Second {
		t.Fatalf("%+v (swarm %v)", o, o.SwarmTime())
	}
	for _, bad := range []string{"hosts=0", "hosts=x", "nope=1", "size", "max_hosts=0"} {
		if _, err := ParseWords([]string{bad}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestHostIP(t *testing.T) {
	for k, want := range map[int]string{0: "127.1.0.1", 249: "127.1.0.250", 250: "127.1.1.1", 10000: "127.1.40.1"} {
		if got := HostIP(k); got != want {
			t.Errorf("HostIP(%d) = %s, want %s", k, got, want)
		}
	}
}

// TestChainedCommands: murder:peer's `prepare --check ... && peer ...`
// runs both, in order, and stops at a failing first one.
func TestChainedCommands(t *testing.T) {
	a := NewAgent(Model{Size: 1 << 20, Rate: 1 << 20}, nil)
	line := remote.Command("/opt/murder/murder-agent", "prepare", "--check", "/srv/app/T") + " && " +
		remote.Command("/opt/murder/murder-agent", "peer", "--no-wait", "--torrent-stdin", "--tag", "T", "/tmp/T.tgz.torrent", "/tmp/T.tgz")
	if k, r := a.Handle(line, []byte("d8:announce...e")); k != KPeer || r.Status != 0 {
		t.Fatalf("Handle = %v, %+v; want the peer started", k, r)
	}
	if k, r := a.Handle(remote.Command("/opt/murder/murder-agent", "status", "peer", "T"), nil); k != KStatus || r.Status != 0 || r.Stdout == "" {
		t.Errorf("status after the chained start: %v, %+v", k, r)
	}
	bad := remote.Command("/opt/murder/murder-agent", "nonsense") + " && " + remote.Command("/opt/murder/murder-agent", "peer", "--tag", "U", "a", "b")
	if _, r := a.Handle(bad, nil); r.Status == 0 {
		t.Errorf("a chain whose first command fails succeeded")
	}
}

// TestAgentInstall: distribute_files' install lines (tasks/murder/install.go)
// are answered as the real shell would: an upload on stdin at once, a
// fetch after the model's time, serve-agent reporting its port.
func TestAgentInstall(t *testing.T) {
	a := NewAgent(Model{AgentFetch: 1500 * time.Millisecond}, nil)
	const head = `set -e; tmp=/srv/murder-sim/.murder-agent.new.$$; trap 'rm -f -- "$tmp"' EXIT; `
	const tail = `got=$( { sha256sum < "$tmp" || shasum -a 256 < "$tmp"; } 2>/dev/null || true); echo installed`
	const serve = `; /srv/murder-sim/murder-agent serve-agent --detach --run-dir /srv/murder-sim/run --port 0`
	upload := head + `cat > "$tmp"; ` + tail + serve
	if k, r := a.Handle(remote.Command("sh", "-c", upload), []byte("agent")); k != KUpload || r.Wait != 0 || r.Stdout != "installed\nserving murder-agent sha256:0000 on port 41234 (pid 1)\n" {
		t.Errorf("upload: %v %+v", k, r)
	}
	fetch := head + `if command -v curl >/dev/null 2>&1; then curl -fsS -o "$tmp" http://h:1/murder-agent/0000; fi; ` + tail
	if k, r := a.Handle(remote.Command("sh", "-c", fetch), nil); k != KFetch || r.Wait != 1500*time.Millisecond || r.Stdout != "installed\n" {
		t.Errorf("fetch: %v %+v", k, r)
	}
}
