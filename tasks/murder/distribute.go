package murder

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/murderfleet/murder/internal/ctxio"

	"github.com/murderfleet/murder/tasks"
)

// AgentPackage is the import path of the agent's main package.
const AgentPackage = "github.com/murderfleet/murder/dist/cmd/murder-agent"

// AgentTags keep anacrolix/torrent's bolt database out of the agent (it
// keeps piece completion in memory), and its C parts (SQLite, libutp) out
// should the agent ever be built with cgo.
const AgentTags = "disable_libutp,nosqlite,noboltdb"

// AgentBuilder provides the agent binary for a platform.
type AgentBuilder interface {
	// Build returns the path of an agent for goos/goarch and its SHA-256.
	Build(ctx context.Context, goos, goarch string) (path, sum string, err error)
}

// GoBuilder builds the agent from source with the go command, statically
// (CGO_ENABLED=0), reproducibly (-trimpath) unless Local, once per
// platform and run.
type GoBuilder struct {
	Dir string // output directory
	Go  string // go command; default "go" (or $MAGEFILE_GOCMD)
	// Local builds for this machine's own hosts (the demo) without
	// -trimpath, as mage compiles the magefile: -trimpath is part of every
	// package's key in the build cache, so the agent reuses what that
	// compile just put there (the standard library below net) instead of
	// compiling it all again.
	Local bool

	mu    sync.Mutex
	built map[string][2]string
}

// Build implements AgentBuilder.
func (b *GoBuilder) Build(ctx context.Context, goos, goarch string) (string, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := goos + "-" + goarch
	if got, ok := b.built[key]; ok {
		return got[0], got[1], nil
	}
	out := filepath.Join(b.Dir, "murder-agent-"+key)
	gocmd := b.Go
	if gocmd == "" {
		gocmd = "go"
		if g := os.Getenv("MAGEFILE_GOCMD"); g != "" {
			gocmd = g
		}
	}
	args := []string{"build", "-tags", AgentTags, "-ldflags=-s -w"}
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if !b.Local {
		args = append(args, "-trimpath")
	}
	cmd := exec.CommandContext(ctx, gocmd, append(args, "-o", out, AgentPackage)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("building the agent for %s/%s: %v\n%s", goos, goarch, err, stderr.String())
	}
	sum, err := ctxio.FileSHA256(ctx, out)
	if err != nil {
		return "", "", err
	}
	if b.built == nil {
		b.built = map[string][2]string{}
	}
	b.built[key] = [2]string{out, sum}
	return out, sum, nil
}

// platform maps `uname -sm` to GOOS/GOARCH.
func platform(uname string) (string, string, error) {
	f := strings.Fields(uname)
	if len(f) != 2 {
		return "", "", fmt.Errorf("unexpected `uname -sm` output %q", uname)
	}
	goos := strings.ToLower(f[0])
	arch := map[string]string{"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm", "i686": "386", "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}[f[1]]
	if arch == "" || (goos != "linux" && goos != "darwin" && goos != "freebsd") {
		return "", "", fmt.Errorf("unsupported platform %q", uname)
	}
	return goos, arch, nil
}

// maxMurderEntries is the original's guard: a remote_murder_path holding
// this many entries is probably not murder's, so it is not emptied.
const maxMurderEntries = 1000

type agentsKey struct{}

// WithAgents returns a context in which murder:distribute_files takes the
// agent from b (the demo and the tests build it once for all their runs);
// by default it is built from source into the user's cache directory.
func WithAgents(ctx context.Context, b AgentBuilder) context.Context {
	return context.WithValue(ctx, agentsKey{}, b)
}

func agents(ctx context.Context) AgentBuilder {
	if b, ok := ctx.Value(agentsKey{}).(AgentBuilder); ok {
		return b
	}
	return &GoBuilder{Dir: agentCacheDir()}
}

func agentCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "murder")
	_ = os.MkdirAll(dir, 0o700)
	return dir
}

// inspect asks, in one command that creates nothing, everything the guard
// needs, refuses what it must, and creates remote_murder_path (checking
// it again) when it is missing.
func inspect(ctx context.Context, h *tasks.Host, s settings) (hostFacts, error) {
	var f hostFacts
	out, err := output(ctx, h, s.factsCmd())
	if err == nil {
		err = parseFacts(out, &f)
	}
	if err != nil {
		return f, fmt.Errorf("asking the platform and remote_murder_path's state: %w", err)
	}
	if _, _, err := platform(f.uname); err != nil {
		return f, err // before anything is created on a host murder cannot serve
	}
	if err := f.guard(s.MurderPath); err != nil || f.exists {
		return f, err
	}
	out, err = output(ctx, h, s.prepareCmd())
	if err == nil {
		err = parseFacts(out, &f)
	}
	if err != nil {
		return f, fmt.Errorf("creating remote_murder_path: %w", err)
	}
	if !f.exists {
		return f, fmt.Errorf("creating remote_murder_path: no facts about %s in the host's answer", s.MurderPath)
	}
	f.created = true
	return f, f.guard(s.MurderPath)
}

// output runs a shell line and returns its standard output, trimmed.
func output(ctx context.Context, h *tasks.Host, line string) (string, error) {
	return h.Capture(ctx, "sh", "-c", line)
}
