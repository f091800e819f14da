package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the README's first command on a smaller local fleet: the
// whole manual sequence over in-process SSH servers, every copy verified.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent and runs a swarm")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := Run(ctx, Options{Stdout: &out, Hosts: 5, Dir: t.TempDir()})
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "verified: all 3 peers hold") {
		t.Errorf("no verification line in the output")
	}
}
