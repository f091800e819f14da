package murder

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/remote"
)

var update = flag.Bool("update", false, "rewrite testdata/commands.golden from the current output")

// hostileValues are values an operator (or an attacker controlling a
// branch name, a CI variable...) might pass; each must reach the remote
// program as exactly one argument, unchanged.
var hostileValues = []struct{ name, value string }{
	{"space", "/srv/my app"},
	{"single-quote", "/srv/it's"},
	{"double-quote", `/srv/say "hi"`},
	{"command-substitution", "/srv/$(rm -rf /)"},
	{"semicolon", "/srv/a;rm -rf /"},
	{"backticks", "/srv/`rm -rf /`"},
	{"unicode", "/srv/déploiement ☃"},
	{"leading-dash", "-rf"},
	{"variable", "$HOME/${PATH}"},
	{"glob", "/srv/*"},
	{"tilde", "~root"},
	{"newline", "/srv/a\nb"},
	{"tab-backslash", "/srv/a\tb\\c"},
	{"quotes-mix", `'"'"'`},
}

// normalSettings is a typical host's settings.
func normalSettings() settings {
	return settings{
		Tag: "Deploy1", FilesPath: "/srv/build", DestinationPath: "/srv/app", TempPath: "/tmp",
		MurderPath: "/u/apps/shop/shared/murder", TrackerPort: 8998,
	}
}

// hostileSettings puts v into every string setting at once.
func hostileSettings(v string) settings {
	return settings{Tag: v, FilesPath: v, DestinationPath: v, TempPath: v, MurderPath: v, TrackerPort: 8998}
}

// argvCommand is one task command built as an argument vector.
type argvCommand struct {
	name string
	argv []string
}

// argvCommands lists every argv-built command of the task set for s.
func argvCommands(s settings) []argvCommand {
	plain, sealed := s, s
	plain.Plain, sealed.Sealed = true, true
	return []argvCommand{
		{"startTracker", s.startTrackerCmd()},
		{"stopTracker", s.stopTrackerCmd()},
		{"pack", s.packCmd("")},
		{"pack-encrypted", s.packCmd("age1recipient")},
		{"makeTorrent", s.makeTorrentCmd("tracker.example.com", 8998, -1)},
		{"makeTorrent-unpacked", s.makeTorrentCmd("tracker.example.com", 8998, 1234)},
		{"makeTorrent-ipv6", s.makeTorrentCmd("2001:db8::7", 8998, -1)},
		{"makeTorrent-plain", plain.makeTorrentCmd("tracker.example.com", 8998, -1)},
		{"startSeeding-sealed", sealed.startSeedingCmd()},
		{"startPeer-sealed", sealed.startPeerCmd("", true)},
		{"register", s.registerCmd(s.torrent())},
		{"startSeeding", s.startSeedingCmd()},
		{"stopSeeding", s.stopSeedingCmd()},
		{"stopAllSeeding", s.stopAllSeedingCmd()},
		{"checkDest", s.checkDestCmd()},
		{"startPeer", s.startPeerCmd("", false)},
		{"startPeer-stall", s.startPeerCmd("5m0s", false)},
		{"peerStatus", s.peerStatusCmd(0)},
		{"peerStatusWait", s.peerStatusCmd(2 * time.Second)},
		{"swarmStatus", s.swarmStatusCmd(time.Second)},
		{"stopPeering", s.stopPeeringCmd()},
		{"stopAllPeering", s.stopAllPeeringCmd()},
		{"cleanTemp", s.cleanTempCmd()},
	}
}

// lineCommands lists the commands built as whole shell lines.
func lineCommands(s settings) [][2]string {
	return [][2]string{
		{"platform", platformCmd()},
		{"facts", s.factsCmd()},
		{"prepare", s.prepareCmd()},
		{"count", s.countCmd()},
		{"empty", s.emptyCmd()},
		{"serveAgent", remote.Command(s.serveAgentCmd(0)...)},
		{"install-upload", s.installCmd(install{sum: testSum})},
		{"install-upload-empty-serve", s.installCmd(install{sum: testSum, empty: true, serve: true, port: 8999})},
		{"install-fetch", s.installCmd(install{url: agentURL("w01.example.com", 41234, testSum), sum: testSum})},
		{"install-fetch-ipv6", s.installCmd(install{url: agentURL("2001:db8::7", 41234, testSum), sum: testSum})},
		// The host's name as murder.yaml writes it reaches the line too.
		{"install-fetch-empty-serve", s.installCmd(install{url: agentURL(s.Tag, 41234, testSum), sum: testSum, empty: true, serve: true})},
	}
}

// testSum is a SHA-256 for the golden lines.
const testSum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

type settingsCase struct {
	name string
	s    settings
}

func goldenCases() []settingsCase {
	n := normalSettings()
	file, noTag, unsafe := n, n, n
	file.PathIsFile, file.FilesPath, file.DestinationPath = true, "/srv/build/app.jar", "/srv/app.jar"
	noTag.NoTagDirectory = true
	unsafe.UnsafeDelete = true
	tuned := n
	tuned.PeerConns, tuned.SeederConns, tuned.PieceLength = "10", "8", "256KiB"
	cases := []settingsCase{
		{"normal", n}, {"path_is_file", file}, {"no_tag_directory", noTag}, {"unsafe_please_delete", unsafe}, {"tuned", tuned},
	}
	for _, h := range hostileValues {
		cases = append(cases, settingsCase{"hostile-" + h.name, hostileSettings(h.value)})
	}
	return cases
}

func renderGolden() []byte {
	var b bytes.Buffer
	for _, c := range goldenCases() {
		fmt.Fprintf(&b, "## %s %+q\n", c.name, c.s.Tag)
		for _, cmd := range argvCommands(c.s) {
			fmt.Fprintf(&b, "%s: %s\n", cmd.name, remote.Command(cmd.argv...))
		}
		for _, l := range lineCommands(c.s) {
			fmt.Fprintf(&b, "%s: %s\n", l[0], l[1])
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func TestCommandsGolden(t *testing.T) {
	got := renderGolden()
	golden := filepath.Join("testdata", "commands.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCommandsGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("remote commands differ from %s (go test -run TestCommandsGolden -update after checking):\n%s", golden, diffLines(string(want), string(got)))
	}
}

// diffLines shows the first differing lines, enough to see what changed.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// shellArgv runs each command line through a real /bin/sh as the words of
// `set --` and returns the argument vectors the shell sees, one per line.
func shellArgv(t *testing.T, lines []string) [][]string {
	t.Helper()
	const sep = "\x01end\x01"
	var script strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&script, "set -- %s\nprintf '%%s\\0' \"$@\" '%s'\n", l, sep)
	}
	out, err := exec.Command("/bin/sh", "-c", script.String()).Output()
	if err != nil {
		t.Fatalf("sh: %v\nscript:\n%s", err, script.String())
	}
	var res [][]string
	cur := []string{}
	for _, w := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if w == sep {
			res = append(res, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, w)
	}
	return res
}

// TestCommandsQuotingRoundTrips proves that a shell parses every rendered
// command back into exactly the argument vector the task built.
func TestCommandsQuotingRoundTrips(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			cmds := argvCommands(c.s)
			var lines []string
			for _, cmd := range cmds {
				lines = append(lines, remote.Command(cmd.argv...))
			}
			got := shellArgv(t, lines)
			if len(got) != len(cmds) {
				t.Fatalf("shell returned %d argument vectors, want %d", len(got), len(cmds))
			}
			for i, cmd := range cmds {
				if !slices.Equal(got[i], cmd.argv) {
					t.Errorf("%s: shell saw %q, want %q", cmd.name, got[i], cmd.argv)
				}
			}
		})
	}
}

// TestLineCommandsRunSafely runs the shell-line commands of
// distribute_files for real on a local directory with a hostile name:
// they must act on that directory only and never run injected code.
func TestLineCommandsRunSafely(t *testing.T) {
	names := []string{"my app", "it's", `say "hi"`, "$(touch pwned)", "a;touch pwned", "`touch pwned`", "déploiement ☃", "-rf", "*", "a\nb"}
	for _, name := range names {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			root := t.TempDir()
			s := normalSettings()
			s.MurderPath = filepath.Join(root, name)
			run := func(line string) string {
				t.Helper()
				cmd := exec.Command("/bin/sh", "-c", line)
				cmd.Dir = root
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", line, err, out)
				}
				return strings.TrimSpace(string(out))
			}
			if got := run(s.prepareCmd()); !strings.HasSuffix(got, "\ncount=0") {
				t.Errorf("prepare of a new directory printed %q, want count=0 last", got)
			}
			for _, f := range []string{"old-agent", ".hidden", "run/tracker.pid"} {
				p := filepath.Join(s.MurderPath, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := run(s.countCmd()); got != "4" {
				t.Errorf("count = %q, want 4 (old-agent, .hidden, run, run/tracker.pid)", got)
			}
			run(s.emptyCmd())
			if _, err := os.Stat(filepath.Join(s.MurderPath, "run", "tracker.pid")); err != nil {
				t.Errorf("empty removed run/: %v", err)
			}
			if got := run(s.countCmd()); got != "2" {
				t.Errorf("count after empty = %q, want 2 (run, run/tracker.pid)", got)
			}
			if got := run(s.factsCmd()); strings.Contains(got, "agent=") {
				t.Errorf("facts without an agent printed %q, want no agent= line", got)
			}
			entries, err := os.ReadDir(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != name {
				t.Errorf("root holds %v, want only %q (injected code ran?)", entries, name)
			}
		})
	}
}
