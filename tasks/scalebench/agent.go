package scalebench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/murderfleet/murder/internal/agentproto"
)

// Model is what the simulated agents assume about the swarm: every peer
// downloads the archive at Rate bytes per second from the moment it was
// started, so the swarm's own time is Size/Rate whatever the fleet's size
// (a BitTorrent swarm's ideal: each peer's link is the bottleneck).
type Model struct {
	Size         int64         // the archive's size in bytes
	Rate         float64       // each peer's download rate, bytes per second
	ExtractDelay time.Duration // how long `extract` takes
	UID          string        // the uid the facts report (owner of remote_murder_path)
	// AgentFetch is how long a host takes to fetch the agent from another
	// (distribute_files): the real agent's size over a peer's rate.
	AgentFetch time.Duration
}

// SwarmTime is the swarm's own time in the model: Size/Rate.
func (m Model) SwarmTime() time.Duration {
	if m.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(m.Size) / m.Rate * float64(time.Second))
}

// Kind names a command the simulated agent recognises, for the counters.
type Kind string

// The kinds of commands, in the order the tasks send them.
const (
	KFacts       Kind = "facts"
	KPrepare     Kind = "prepare"
	KVersion     Kind = "version"
	KEmpty       Kind = "empty"
	KTracker     Kind = "tracker"
	KPack        Kind = "pack"
	KMakeTorrent Kind = "make-torrent"
	KRegister    Kind = "register"
	KSeeder      Kind = "seeder"
	KCheck       Kind = "prepare-check"
	KPeer        Kind = "peer"
	KStatus      Kind = "status"
	KSwarm       Kind = "swarm-status"
	KExtract     Kind = "extract"
	KStop        Kind = "stop"
	KClean       Kind = "clean"
	KUpload      Kind = "agent-upload" // distribute_files: the agent from the controller, on stdin
	KFetch       Kind = "agent-fetch"  // distribute_files: the agent from another host
	KOther       Kind = "other"
)

// Reply is what one command answers: its standard output, exit status,
// and how long it takes before answering (a model of its work, or of
// status --wait waiting for the end).
type Reply struct {
	Stdout string
	Status int
	Wait   time.Duration
	// TorrentPath is set by make-torrent: the .torrent it wrote, which
	// the host serves over SFTP afterwards.
	TorrentPath string
}

// Agent is one simulated host's agent: the state a real agent keeps in its
// run directory (murder's directory exists, which peers run and since
// when). It is safe for concurrent use.
type Agent struct {
	model Model
	now   func() time.Time

	mu        sync.Mutex
	dirExists bool
	peers     map[string]time.Time // tag -> start of its download
}

// NewAgent returns a fresh host's agent; now is the clock (nil: time.Now).
func NewAgent(m Model, now func() time.Time) *Agent {
	if now == nil {
		now = time.Now
	}
	return &Agent{model: m, now: now, peers: map[string]time.Time{}}
}

// Handle answers one command line as the real agent (or, for the shell
// lines of distribute_files, the host's shell) would. stdin is what the
// controller sent on the command's standard input.
func (a *Agent) Handle(line string, stdin []byte) (Kind, Reply) {
	argv, err := SplitWords(line)
	if err != nil || len(argv) == 0 {
		return KOther, Reply{Stdout: "", Status: 127}
	}
	if len(argv) == 3 && argv[0] == "sh" && argv[1] == "-c" {
		return a.shell(argv[2])
	}
	return a.handleArgv(argv, stdin)
}

// handleArgv answers one agent command, or a chain of them joined by &&
// (murder:peer checks the destination and starts the peer on one line),
// run in order until one fails, as the shell does.
func (a *Agent) handleArgv(argv []string, stdin []byte) (Kind, Reply) {
	if i := slices.Index(argv, "&&"); i > 0 {
		if k, r := a.handleArgv(argv[:i], stdin); r.Status != 0 {
			return k, r
		}
		return a.handleArgv(argv[i+1:], stdin)
	}
	if !strings.HasSuffix(argv[0], "/murder-agent") || len(argv) < 2 {
		return KOther, Reply{Status: 127}
	}
	cmd, args := argv[1], argv[2:]
	switch cmd {
	case "--version":
		return KVersion, Reply{Stdout: "murder-agent simulated sha256:0000\n"}
	case "tracker":
		return KTracker, Reply{}
	case "pack":
		return KPack, Reply{Stdout: fmt.Sprintf("packed (simulated)\nunpacked-size %d\n", a.model.Size), Wait: 0}
	case "make-torrent":
		pos := positional(args, map[string]bool{"--run-dir": true, "--token-file": true, "--unpacked-size": true})
		if len(pos) != 3 {
			return KMakeTorrent, Reply{Stdout: "error: make-torrent: want FILE TRACKER TORRENT\n", Status: 2}
		}
		return KMakeTorrent, Reply{TorrentPath: pos[2]}
	case "register":
		return KRegister, Reply{}
	case "seeder":
		return KSeeder, Reply{}
	case "prepare":
		return KCheck, Reply{}
	case "peer":
		tag := flagValue(args, "--tag")
		if tag == "" {
			return KPeer, Reply{Stdout: "error: peer: no --tag\n", Status: 2}
		}
		a.mu.Lock()
		if _, ok := a.peers[tag]; !ok {
			a.peers[tag] = a.now()
		}
		a.mu.Unlock()
		return KPeer, Reply{}
	case "status":
		return KStatus, a.status(args)
	case "swarm-status":
		// The tracker's view of the swarm, once: the simulated tracker
		// keeps no swarm, and one line is all the controller needs to
		// take the feed as working.
		return KSwarm, Reply{Stdout: agentproto.Swarm{Seeds: 1}.Format() + "\n"}
	case "extract":
		return KExtract, Reply{Wait: a.model.ExtractDelay}
	case "stop":
		a.mu.Lock()
		switch n := len(args); {
		case n >= 1 && args[n-1] == "peer" && slices.Contains(args, "--all"):
			clear(a.peers)
		case n >= 2 && args[n-2] == "peer":
			delete(a.peers, args[n-1])
		}
		a.mu.Unlock()
		return KStop, Reply{}
	case "clean":
		return KClean, Reply{}
	}
	return KOther, Reply{Stdout: "error: unknown command " + cmd + "\n", Status: 2}
}

// status answers `status [--run-dir D] [--wait W] peer TAG`: "done" once
// the modelled download is complete, else a progress line; with --wait,
// the answer comes when the download completes or W has passed.
func (a *Agent) status(args []string) Reply {
	pos := positional(args, map[string]bool{"--run-dir": true, "--wait": true})
	if len(pos) != 2 || pos[0] != "peer" {
		return Reply{Stdout: "error: status: want peer TAG\n", Status: 2}
	}
	var wait time.Duration
	if w := flagValue(args, "--wait"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil {
			return Reply{Stdout: "error: status: bad --wait\n", Status: 2}
		}
		wait = d
	}
	a.mu.Lock()
	start, ok := a.peers[pos[1]]
	a.mu.Unlock()
	if !ok {
		return Reply{Stdout: "error: no peer " + pos[1] + "\n"}
	}
	now := a.now()
	// The peer extracts by itself once it holds the archive.
	took := a.model.SwarmTime() + a.model.ExtractDelay
	left := took - now.Sub(start)
	done := agentproto.PeerDone{Downloaded: a.model.SwarmTime(), Extracted: took, FromPeers: a.model.Size}.Format() + "\n"
	if left <= 0 {
		return Reply{Stdout: done}
	}
	if wait > 0 {
		if left <= wait {
			return Reply{Stdout: done, Wait: left}
		}
		now = now.Add(wait)
	}
	have := min(a.model.Size, int64(a.model.Rate*now.Sub(start).Seconds()))
	return Reply{Stdout: fmt.Sprintf("progress have=%d total=%d peers=1 seeds=1 down=%d up=0 bad=0\n", have, a.model.Size, int64(a.model.Rate)), Wait: wait}
}

// shell answers the shell lines of distribute_files (guard.go): the facts,
// prepare (mkdir), version and empty lines. Anything else fails as an
// unknown command would.
func (a *Agent) shell(script string) (Kind, Reply) {
	const dir = "real=%s\nowner=%s\nmode=755\ncount=%d\n"
	switch {
	case strings.HasPrefix(script, "printf 'uname="):
		out := fmt.Sprintf("uname=Linux x86_64\nuid=%s\nhome=/home/sim\nhome=/root\nhome=/home/sim\n", a.model.UID)
		a.mu.Lock()
		exists := a.dirExists
		a.mu.Unlock()
		if exists {
			if p, ok := testDir(script); ok {
				out += fmt.Sprintf(dir, p, a.model.UID, 1)
			}
		}
		return KFacts, Reply{Stdout: out}
	case strings.HasPrefix(script, "mkdir -p -m 755 -- "):
		argv, err := SplitWords(strings.SplitN(script, " && ", 2)[0])
		if err != nil || len(argv) != 6 {
			return KPrepare, Reply{Status: 1}
		}
		a.mu.Lock()
		a.dirExists = true
		a.mu.Unlock()
		return KPrepare, Reply{Stdout: fmt.Sprintf(dir, argv[5], a.model.UID, 0)}
	case strings.Contains(script, "--version"):
		return KVersion, Reply{Stdout: "murder-agent simulated\n"}
	case strings.HasPrefix(script, "find -H "):
		return KEmpty, Reply{}
	case strings.Contains(script, ".murder-agent.new."):
		return a.install(script)
	}
	return KOther, Reply{Status: 127}
}

// installStdin is in the install lines that read the agent from the
// controller (tasks/murder/install.go); the others fetch it.
const installStdin = `cat > "$tmp"`

// install answers distribute_files' install line: an upload on stdin
// takes what the SSH transfer takes, a fetch from another host the
// model's AgentFetch; either starts serve-agent when the line asks.
func (a *Agent) install(script string) (Kind, Reply) {
	k, r := KFetch, Reply{Stdout: "installed\n", Wait: a.model.AgentFetch}
	if strings.Contains(script, installStdin) {
		k, r.Wait = KUpload, 0
	}
	if strings.Contains(script, " serve-agent ") {
		r.Stdout += "serving murder-agent sha256:0000 on port 41234 (pid 1)\n"
	}
	return k, r
}

// testDir finds the directory of `if [ -d DIR ]` in the facts line.
func testDir(script string) (string, bool) {
	_, rest, ok := strings.Cut(script, "if [ -d ")
	if !ok {
		return "", false
	}
	word, _, ok := strings.Cut(rest, " ]")
	if !ok {
		return "", false
	}
	w, err := SplitWords(word)
	if err != nil || len(w) != 1 {
		return "", false
	}
	return w[0], true
}

// flagValue is the word after flag in args, "" if absent.
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// positional drops flags from args: those in valued with the word after
// them, any other word starting with "--" alone.
func positional(args []string, valued map[string]bool) []string {
	var pos []string
	for i := 0; i < len(args); i++ {
		switch {
		case valued[args[i]]:
			i++
		case strings.HasPrefix(args[i], "--"):
		default:
			pos = append(pos, args[i])
		}
	}
	return pos
}

// SplitWords splits a POSIX shell command line into words: blanks
// separate words, single quotes keep everything literally, double quotes
// honour \" \\ \$ \` escapes, a backslash outside quotes escapes the next
// character. Operators (&&, |, ;) are not interpreted: they come back as
// words.
func SplitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\':
			if i+1 >= len(line) {
				return nil, errors.New("trailing backslash")
			}
			i++
			cur.WriteByte(line[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
