package testfleet

import (
	"context"
	"os"
	"time"
)

// TB is the part of testing.TB that ForTest uses. Taking it rather than
// testing.TB keeps package testing out of what links this package: the
// bench, and with it the project's magefile.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

// RequireEnv names the environment variable that turns ForTest's skips
// into failures when set to 1, so CI can never silently skip fleet tests.
const RequireEnv = "MURDER_REQUIRE_FLEET"

// ForTest creates a fleet of hosts hosts for t and removes it when the
// test ends. It skips the test if the machine cannot host a fleet (not
// root, sshd or iproute2 missing), or fails it instead when
// MURDER_REQUIRE_FLEET=1.
func ForTest(t TB, hosts int, o Options) *Fleet {
	t.Helper()
	if err := Check(o); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v (%s=1 forbids skipping)", err, RequireEnv)
		}
		t.Skip(err)
	}
	o.Hosts = hosts
	// Not t.Context(): it is canceled before cleanups run, and setup
	// should not outlive a stuck machine by much.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f, err := Create(ctx, o)
	if err != nil {
		t.Fatalf("create test fleet: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("close test fleet: %v", err)
		}
	})
	return f
}
