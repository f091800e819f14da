package tasks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks/remote"
)

// Host is one server as a task's function sees it in On: it runs
// commands there (Execute, Capture, Test, Run), moves files (Upload,
// Put, Download) and reads the host's variables (Fetch). Within, With and
// As return a changed copy; the host they were called on is unchanged.
type Host struct {
	server  *roles.Host
	sc      *scope
	dir     string
	env     []string // NAME=value, in order
	user    string
	timeout time.Duration
	input   []byte // stdin of each command
	err     error  // a bad Within, With or As, reported by the next command
}

// String is the host's display name, as in ` ** [out :: w03]`.
func (h *Host) String() string { return h.server.String() }

// Server is the host as murder.yaml declares it: name, port, user, roles.
func (h *Host) Server() *roles.Host { return h.server }

// Roles are the roles holding the host.
func (h *Host) Roles() []string { return slices.Clone(h.server.Roles) }

// Property is the server's property name from murder.yaml (properties:),
// "true" or "false" for no_release and for primary (of any of its roles),
// "" when unset.
func (h *Host) Property(name string) string {
	switch name {
	case "no_release":
		return fmt.Sprint(h.server.NoRelease)
	case "primary":
		for _, role := range h.server.Roles {
			if h.sc.run.cfg.Primary(role) == h.server {
				return "true"
			}
		}
		return "false"
	}
	return h.server.Properties[name]
}

// Fetch is variable name on this host: WithVar's value, else the host's
// own set: in murder.yaml, else the global one, else the default
// (Capistrano's fetch). Lists read as comma-separated text.
func (h *Host) Fetch(name string) string { return h.sc.fetch(h, name) }

// Vars are murder's own variables on this host, typed.
func (h *Host) Vars() roles.Vars { return h.sc.run.cfg.Vars(h.server) }

// DeployTo is deploy_to on this host.
func (h *Host) DeployTo() string { return h.sc.layout(h, "") }

// ReleasesPath is deploy_to/releases.
func (h *Host) ReleasesPath() string { return h.sc.layout(h, "releases") }

// SharedPath is deploy_to/shared.
func (h *Host) SharedPath() string { return h.sc.layout(h, "shared") }

// CurrentPath is deploy_to/current, the live release's symlink.
func (h *Host) CurrentPath() string { return h.sc.layout(h, "current") }

// ReleasePath is the release being deployed (deploy_to/releases/NAME)
// during a deploy, else the current one, as in Capistrano 3.
func (h *Host) ReleasePath() string { return h.sc.layout(h, "release") }

// Within returns the host with commands run in dir (relative to an
// enclosing Within). A missing dir fails the command with a message
// that names it, before anything else runs.
func (h *Host) Within(dir string) *Host {
	c := *h
	if !path.IsAbs(dir) && h.dir != "" {
		dir = path.Join(h.dir, dir)
	}
	c.dir = dir
	if strings.ContainsAny(dir, "\x00\n\r") || dir == "" {
		c.err = fmt.Errorf("within %q: want a directory path without NUL or line breaks", dir)
	}
	return &c
}

// With returns the host with the environment variable name set to value
// for its commands (SSHKit's with).
func (h *Host) With(name, value string) *Host {
	c := *h
	c.env = append(slices.Clone(h.env), name+"="+value)
	if !envName(name) || strings.ContainsRune(value, 0) {
		c.err = fmt.Errorf("with %s: want a variable name of letters, digits and '_' and a value without NUL", name)
	}
	return &c
}

// As returns the host with commands run as user through sudo (sudo -n:
// murder never answers a password prompt; allow the SSH user NOPASSWD).
func (h *Host) As(user string) *Host {
	c := *h
	c.user = user
	if _, _, _, err := roles.ParseServer(user + "@x"); err != nil || user == "" {
		c.err = fmt.Errorf("as %q: not a user name", user)
	}
	return &c
}

// Timeout returns the host with each command bounded to d once it runs
// (waiting for a max_hosts slot does not count): a host that hangs fails
// with ErrTimeout instead of holding the task.
func (h *Host) Timeout(d time.Duration) *Host {
	c := *h
	c.timeout = d
	return &c
}

// WithInput returns the host with data fed to each command's standard
// input: the way to hand a command a secret, which must never appear on a
// command line that ps shows.
func (h *Host) WithInput(data []byte) *Host {
	c := *h
	c.input = data
	return &c
}

// Execute runs argv on the host, each word quoted: nothing in it reaches
// the shell unquoted. Output streams live as ` ** [out :: host]` lines.
func (h *Host) Execute(ctx context.Context, argv ...string) error {
	return h.exec(ctx, remote.Command(argv...), nil)
}

// Run runs one shell line on the host, as Capistrano 2's run did: pipes,
// && and redirections work; quote any value you put in it (Quote).
func (h *Host) Run(ctx context.Context, line string) error { return h.exec(ctx, line, nil) }

// Capture runs argv and returns its standard output, trimmed.
func (h *Host) Capture(ctx context.Context, argv ...string) (string, error) {
	var out strings.Builder
	err := h.exec(ctx, remote.Command(argv...), &out)
	return strings.TrimSpace(out.String()), err
}

// Stream runs argv with its standard output written to w as it arrives,
// not shown to the operator: a feed to follow for as long as it runs (a
// log, a progress source). Cancelling ctx ends the command on the host.
func (h *Host) Stream(ctx context.Context, w io.Writer, argv ...string) error {
	return h.exec(ctx, remote.Command(argv...), w)
}

// Test runs argv and reports whether it exited 0. The error is for a
// command that could not run at all (a lost connection), never for a
// non-zero exit. A dry run reports false.
func (h *Host) Test(ctx context.Context, argv ...string) (bool, error) {
	err := h.exec(ctx, remote.Command(argv...), io.Discard)
	if remote.IsExit(err) {
		return false, nil
	}
	return err == nil && !h.sc.run.dry, err
}

// Upload copies the local file to remotePath on the host, atomically,
// keeping its permission bits (upload! in SSHKit).
func (h *Host) Upload(ctx context.Context, local, remotePath string) error {
	if h.err != nil {
		return h.err
	}
	fi, err := os.Stat(local)
	if err != nil && !h.sc.run.dry {
		return fmt.Errorf("upload %s: %w", local, err)
	}
	if h.sc.run.dry {
		h.sc.run.printf("  * [dry-run :: %s] upload local %s to %s\n", h, local, remotePath)
		return nil
	}
	err = h.sc.run.remote(ctx, h.server, h.timeout, func(ctx context.Context, c remote.Conn) error {
		return c.Upload(ctx, local, remotePath, uint32(fi.Mode().Perm()))
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", filepath.Base(local), err)
	}
	return nil
}

// Put writes content to remotePath on the host (mode 0644), as
// Capistrano 2's put.
func (h *Host) Put(ctx context.Context, content []byte, remotePath string) error {
	if h.sc.run.dry {
		h.sc.run.printf("  * [dry-run :: %s] put %d bytes to %s\n", h, len(content), remotePath)
		return nil
	}
	dir, err := os.MkdirTemp("", "murder-put-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, path.Base(remotePath))
	if err := os.WriteFile(local, content, 0o644); err != nil {
		return err
	}
	return h.Upload(ctx, local, remotePath)
}

// Download copies remotePath on the host to the local file, atomically.
func (h *Host) Download(ctx context.Context, remotePath, local string) error {
	if h.err != nil {
		return h.err
	}
	if h.sc.run.dry {
		h.sc.run.printf("  * [dry-run :: %s] download %s to local %s\n", h, remotePath, local)
		return nil
	}
	return h.sc.run.remote(ctx, h.server, h.timeout, func(ctx context.Context, c remote.Conn) error {
		return c.Download(ctx, remotePath, local)
	})
}

// Mark notes that name happened on the host now ("downloaded",
// "extracted"): report=FILE lists each host's marks, in seconds since the
// run started. A name already marked on the host keeps its first moment.
func (h *Host) Mark(name string) { h.MarkAt(name, h.sc.run.now()) }

// MarkAt notes that name happened on the host at a moment learnt later,
// such as one the host reported itself.
func (h *Host) MarkAt(name string, at time.Time) { h.sc.run.report.mark(h.server, name, at) }

// Count adds n to the host's counter name ("bytes from seeder"), which
// report=FILE lists beside the marks.
func (h *Host) Count(name string, n int64) { h.sc.run.report.count(h.server, name, n) }

// Info prints a line about the host: ` ** [info :: host] msg`.
func (h *Host) Info(msg string) { h.sc.run.printf(" ** [info :: %s] %s\n", h, msg) }

// exec runs a command line with the host's Within, With and As; stdout
// goes to capture if given, else to the operator with a prefix. A dry
// run prints the line instead.
func (h *Host) exec(ctx context.Context, line string, capture io.Writer) error {
	if h.err != nil {
		return h.err
	}
	r := h.sc.run
	line = h.wrap(line)
	if r.dry {
		if h.input != nil {
			line += fmt.Sprintf(" (with %d bytes on stdin)", len(h.input))
		}
		r.printf("  * [dry-run :: %s] %s\n", h, line)
		return nil
	}
	var stdin io.Reader
	if h.input != nil {
		stdin = bytes.NewReader(h.input)
	}
	stdout := capture
	outw := r.prefixed("out", h.String())
	if stdout == nil {
		stdout = outw
	}
	errw := r.prefixed("err", h.String())
	err := r.remote(ctx, h.server, h.timeout, func(ctx context.Context, c remote.Conn) error {
		return c.Run(ctx, line, stdin, stdout, errw)
	})
	outw.flush()
	errw.flush()
	if err != nil && remote.IsExit(err) {
		if msg := errw.lastLine(); msg != "" {
			return fmt.Errorf("%s (%w)", msg, err)
		}
	}
	return err
}
