package agent

// serve-agent lets the hosts of a fleet pass the agent on to each other:
// murder:distribute_files uploads it from the controller to a few hosts
// only, which serve it to the next ones, and so on, so that the
// controller's uplink carries a handful of copies instead of one per host.
// The binary is public, so plain HTTP with no token will do: integrity
// comes from the SHA-256 every fetcher checks before it installs the file,
// and the path names that SHA-256, so an agent of another build is never
// taken for the one wanted. The server exits by itself once idle, so that
// no session is spent stopping it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// serveAgentKind names serve-agent's pid, log and status files.
const serveAgentKind = "serve-agent"

// serveAgentOpts are serve-agent's flags, shared by the command and its
// detached worker.
type serveAgentOpts struct {
	port, maxConns int
	addr, runDir   string
	detach         bool
	idle, maxTime  time.Duration
}

func parseServeAgent(args []string) (*serveAgentOpts, error) {
	o := &serveAgentOpts{}
	fs := flag.NewFlagSet("serve-agent", flag.ContinueOnError)
	fs.IntVar(&o.port, "port", 0, "port to listen on (0: any free port, reported on stdout)")
	fs.StringVar(&o.addr, "address", "", "address to listen on (default: all)")
	fs.StringVar(&o.runDir, "run-dir", defaultRunDir(), "directory of pid and log files")
	fs.String("tag", "", "unused; accepted for uniformity with the other daemons")
	fs.BoolVar(&o.detach, "detach", false, "run in the background (own session, pid file, log file)")
	fs.DurationVar(&o.idle, "idle-exit", 5*time.Minute, "exit after this long without a request")
	fs.DurationVar(&o.maxTime, "max-time", 30*time.Minute, "exit after this long whatever happens")
	fs.IntVar(&o.maxConns, "max-transfers", 8, "most transfers at once; more requests wait their turn")
	if _, err := parseFlags(fs, args, 0, 0); err != nil {
		return nil, err
	}
	switch {
	case o.port < 0 || o.port > 65535:
		return nil, usagef("--port %d is not a port number", o.port)
	case o.idle <= 0 || o.maxTime <= 0:
		return nil, usagef("--idle-exit and --max-time must be positive")
	case o.maxConns < 1:
		return nil, usagef("--max-transfers %d: want at least 1", o.maxConns)
	}
	return o, nil
}

// runServeAgent: serve-agent [--detach] [--port 0] [--idle-exit 5m]
// [--max-time 30m]. Detached, it replaces a server of an earlier run
// (perhaps of an older build): a server keeps no state worth keeping.
func runServeAgent(ctx context.Context, env *runEnv, args []string) error {
	o, err := parseServeAgent(args)
	if err != nil {
		return err
	}
	if !o.detach {
		return serveAgentWork(ctx, env, o)
	}
	d := detached{kind: serveAgentKind, runDir: o.runDir, args: args}
	if err := stopOne(d.pidPath(), 5*time.Second); err != nil && !errors.Is(err, errNotRunning) {
		return fmt.Errorf("stopping the earlier serve-agent: %w", err)
	}
	return startDetached(ctx, env, d)
}

func serveAgentWork(ctx context.Context, env *runEnv, o *serveAgentOpts) error {
	rep := newReporter(env.stdout)
	err := serveAgent(ctx, rep, o)
	rep.finish("ready", err)
	return err
}

// serveAgent serves this executable's bytes at /murder-agent/SHA256 until
// it has been idle for o.idle, o.maxTime has passed or ctx ends.
func serveAgent(ctx context.Context, rep *reporter, o *serveAgentOpts) error {
	release, err := holdPidFile(o.runDir, serveAgentKind, "")
	if err != nil {
		return err
	}
	defer release()
	data, err := readSelf()
	if err != nil {
		return fmt.Errorf("reading the agent's own executable: %w", err)
	}
	sum := sha256.Sum256(data)
	a := &agentServer{data: data, path: "/murder-agent/" + hex.EncodeToString(sum[:]), slots: make(chan struct{}, o.maxConns)}
	a.touch()
	ln, err := net.Listen("tcp", net.JoinHostPort(o.addr, strconv.Itoa(o.port)))
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	rep.progress("serving murder-agent sha256:%x on port %d (pid %d)", sum, port, os.Getpid())
	rep.finish("ready", nil)
	ctx, cancel := context.WithTimeout(ctx, o.maxTime)
	defer cancel()
	go a.exitWhenIdle(ctx, cancel, o.idle)
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve-agent: %w", err)
	}
	return nil
}

// readSelf reads the running executable: through /proc/self/exe where
// there is one, which still names this process's file after
// distribute_files renamed another agent over its path.
func readSelf() ([]byte, error) {
	if b, err := os.ReadFile("/proc/self/exe"); err == nil {
		return b, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return os.ReadFile(exe)
}

// agentServer answers GET and HEAD of path with data, 404 anything else,
// at most cap(slots) transfers at once.
type agentServer struct {
	data   []byte
	path   string
	slots  chan struct{}
	active atomic.Int64
	last   atomic.Int64 // Unix nanoseconds of the latest request's start or end
}

func (a *agentServer) touch() { a.last.Store(time.Now().UnixNano()) }

func (a *agentServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.active.Add(1)
	a.touch()
	defer func() { a.touch(); a.active.Add(-1) }()
	if r.URL.Path != a.path || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "murder-agent", time.Time{}, bytes.NewReader(a.data))
}

// exitWhenIdle calls stop once no request has run for idle.
func (a *agentServer) exitWhenIdle(ctx context.Context, stop func(), idle time.Duration) {
	tick := time.NewTicker(min(idle/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if a.active.Load() == 0 && time.Since(time.Unix(0, a.last.Load())) >= idle {
				stop()
				return
			}
		}
	}
}
