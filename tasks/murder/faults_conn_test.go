package murder

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/remote"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// deadDialer's connections belong to a host that stopped answering: the
// keepalive has closed them, so every new session ends with EOF.
type deadDialer struct{ dead string }

func (d deadDialer) Dial(ctx context.Context, h *roles.Host) (remote.Conn, error) {
	return deadConn{dead: h.String() == d.dead}, nil
}

type deadConn struct{ dead bool }

func (c deadConn) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	if c.dead {
		return fmt.Errorf("new session: %w", io.EOF)
	}
	return nil
}
func (deadConn) Upload(context.Context, string, string, uint32) error { return nil }
func (deadConn) Download(context.Context, string, string) error       { return nil }
func (deadConn) Close() error                                         { return nil }

// TestLostConnectionIsNamed: a host whose connection was lost fails with
// words that say so, not a bare "EOF"; the other hosts carry on.
func TestLostConnectionIsNamed(t *testing.T) {
	out := &taskstest.Buffer{}
	err := tasks.Run(context.Background(), "murder:stop_all_peering", nil, tasks.Options{
		Stdout: out, Getenv: env(nil), Dialer: deadDialer{dead: "w03"},
		Config: taskstest.Config(t, fleetYAML, tasks.DeclaredVars()),
	})
	want := "host w03: stop all peering: connection lost (the host stopped answering): new session: EOF"
	if err == nil || err.Error() != want {
		t.Errorf("Run = %v, want only %q", err, want)
	}
	if !strings.Contains(out.String(), "1 of 4 host(s) FAILED") {
		t.Errorf("summary:\n%s", out)
	}
}
