package tasks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks/remote"
)

// Dialer opens a connection to a host. The real one goes over SSH; tests
// pass fakes.
type Dialer interface {
	Dial(ctx context.Context, h *roles.Host) (remote.Conn, error)
}

// Runner runs tasks over a fleet. Connections are opened once per host and
// shared by every step of a run.
type Runner struct {
	Config *roles.Config
	Args   *Args
	Dialer Dialer
	Out    io.Writer // operator output; host lines are prefixed
	// LocalTemp is temp_path on this machine, where download_torrent puts
	// the .torrent and peer reads it.
	LocalTemp string
	// Agents builds the agent for a platform (distribute_files).
	Agents AgentBuilder
	// Now is the clock, replaced in tests.
	Now func() time.Time

	outMu  sync.Mutex
	connMu sync.Mutex
	conns  map[*roles.Host]*lazyConn
	report *Report
	active map[string]bool // tasks being run, to stop hook loops

	// override adjusts a host's settings while a deploy drives the murder
	// tasks (its destination is that host's releases directory).
	override func(h *roles.Host, s *settings)
	release  string // the release being deployed, for deploy:symlink
}

type lazyConn struct {
	once sync.Once
	conn remote.Conn
	err  error
}

// conn returns the host's connection, dialing it on first use.
func (r *Runner) conn(ctx context.Context, h *roles.Host) (remote.Conn, error) {
	r.connMu.Lock()
	if r.conns == nil {
		r.conns = map[*roles.Host]*lazyConn{}
	}
	lc := r.conns[h]
	if lc == nil {
		lc = &lazyConn{}
		r.conns[h] = lc
	}
	r.connMu.Unlock()
	lc.once.Do(func() { lc.conn, lc.err = r.Dialer.Dial(ctx, h) })
	return lc.conn, lc.err
}

// Close closes every connection.
func (r *Runner) Close() error {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	var errs []error
	for _, lc := range r.conns {
		if lc.conn != nil {
			errs = append(errs, lc.conn.Close())
		}
	}
	r.conns = nil
	if c, ok := r.Dialer.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

func (r *Runner) dryRun() bool { return r.Args.Bool("dry_run") }

// settings resolves the arguments against the host's variables.
func (r *Runner) settings(h *roles.Host) settings {
	s := resolve(r.Args, r.Config.Vars(h))
	if r.override != nil {
		r.override(h, &s)
	}
	return s
}

// hostFunc is one step's work on one host.
type hostFunc func(ctx context.Context, h *roles.Host) error

// each runs fn on every host, at most ssh.max_hosts at a time, and returns
// every host's error, each prefixed with its host and step, joined. Hosts
// that fail are recorded for the summary; the others carry on.
func (r *Runner) each(ctx context.Context, hosts []*roles.Host, step string, fn hostFunc) error {
	errs := make([]error, len(hosts))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, r.Config.SSH.MaxHosts))
	for i, h := range hosts {
		g.Go(func() error {
			if err := fn(ctx, h); err != nil {
				errs[i] = &HostError{Host: h.String(), Step: step, Err: err}
				r.Report().fail(h, step, err)
			}
			return nil // one host's failure must not cancel the others
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// HostError is one host's failure in one step.
type HostError struct {
	Host, Step string
	Err        error
}

func (e *HostError) Error() string { return fmt.Sprintf("host %s: %s: %v", e.Host, e.Step, e.Err) }
func (e *HostError) Unwrap() error { return e.Err }

// exec runs argv on h, its output prefixed with the host's name. In a dry
// run it prints the command instead.
func (r *Runner) exec(ctx context.Context, h *roles.Host, argv ...string) error {
	return r.execLine(ctx, h, remote.Command(argv...), nil)
}

// execLine runs a command line; stdout goes to capture if given, else to
// the operator with a prefix.
func (r *Runner) execLine(ctx context.Context, h *roles.Host, line string, capture io.Writer) error {
	if r.dryRun() {
		r.printf("  * [dry-run :: %s] %s\n", h, line)
		return nil
	}
	c, err := r.conn(ctx, h)
	if err != nil {
		return err
	}
	stdout := capture
	if stdout == nil {
		stdout = r.prefixed("out", h)
	}
	stderr := r.prefixed("err", h)
	err = c.Run(ctx, line, stdout, stderr)
	flush(stdout, stderr)
	if err != nil && remote.IsExit(err) {
		if msg := lastLine(stderr); msg != "" {
			return fmt.Errorf("%s (%w)", msg, err)
		}
	}
	if errors.Is(err, io.EOF) {
		// The keepalive closed a connection the host stopped answering:
		// "new session: EOF" alone does not say so.
		return fmt.Errorf("connection lost (the host stopped answering): %w", err)
	}
	return err
}

// printf writes a whole line to the operator, never interleaved.
func (r *Runner) printf(format string, a ...any) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	fmt.Fprintf(r.Out, format, a...)
}

// prefixed returns a writer that prints each line as Capistrano did:
// ` ** [out :: w03] text`.
func (r *Runner) prefixed(stream string, h *roles.Host) io.Writer {
	return &lineWriter{r: r, prefix: fmt.Sprintf(" ** [%s :: %s] ", stream, h)}
}

type lineWriter struct {
	r      *Runner
	prefix string
	buf    []byte
	last   string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) emit(line string) {
	line = strings.TrimRight(line, "\r")
	if line != "" {
		w.last = line
	}
	w.r.printf("%s%s\n", w.prefix, line)
}

func flush(ws ...io.Writer) {
	for _, w := range ws {
		if lw, ok := w.(*lineWriter); ok && len(lw.buf) > 0 {
			lw.emit(string(lw.buf))
			lw.buf = nil
		}
	}
}

// lastLine is the last non-empty line a prefixed writer printed: the
// agent's one-line error message.
func lastLine(w io.Writer) string {
	if lw, ok := w.(*lineWriter); ok {
		return strings.TrimPrefix(lw.last, "murder-agent ")
	}
	return ""
}
