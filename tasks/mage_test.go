package tasks

import (
	"context"
	"os"
	"slices"
	"testing"
)

func TestSplitCommandLine(t *testing.T) {
	rest, words := splitCommandLine([]string{"mage", "-v", "murder:peer", "tag=Deploy1", "files_path=/srv/my build", "Tag=x", "9x=1", "app:deploy", "a:b"})
	if want := []string{"mage", "-v", "murder:peer", "Tag=x", "9x=1", "app:deploy", "a:b"}; !slices.Equal(rest, want) {
		t.Errorf("rest = %q", rest)
	}
	if want := []string{"tag=Deploy1", "files_path=/srv/my build"}; !slices.Equal(words, want) {
		t.Errorf("words = %q", words)
	}
}

// TestRouteCommandLine: registered task names, in any spelling, go
// through the dispatcher; a target's own arguments stay as they are.
func TestRouteCommandLine(t *testing.T) {
	saved := os.Args
	registry.Lock()
	savedArgs, savedD, savedS := cmdline.args, cmdline.dispatcher, cmdline.spelled
	registry.Unlock()
	t.Cleanup(func() {
		os.Args = saved
		cmdline.args, cmdline.dispatcher, cmdline.spelled = savedArgs, savedD, savedS
	})
	nop := func(context.Context) error { return nil }
	Register("rt:start_tracker", nop)
	Register("rt:deploy", nop)
	Alias("rt", "rt:deploy")
	tests := []struct{ args, want []string }{
		{[]string{"mage", "rt:start_tracker"}, []string{"mage", "invoke", "rt:start_tracker"}},
		{[]string{"mage", "-v", "-t", "5m", "rt:startTracker", "rt"}, []string{"mage", "-v", "-t", "5m", "invoke", "rt:startTracker", "invoke", "rt"}},
		{[]string{"mage", "invoke", "rt:deploy"}, []string{"mage", "invoke", "rt:deploy"}},
		{[]string{"mage", "other:target", "x:y_z"}, []string{"mage", "other:target", "x:y_z"}},
		{[]string{"mage", "-h", "rt:deploy"}, []string{"mage", "-h", "rt:deploy"}},
		{[]string{"mage", "rt:import_file"}, []string{"mage", "rt:importfile"}},
	}
	MageTarget("rt:import_file", "rt:importfile")
	for _, tt := range tests {
		registry.Lock()
		cmdline.args = tt.args
		os.Args = slices.Clone(tt.args)
		cmdline.dispatcher = "invoke"
		routeCommandLine()
		registry.Unlock()
		if !slices.Equal(os.Args, tt.want) {
			t.Errorf("%q routed to %q, want %q", tt.args, os.Args, tt.want)
		}
	}
}
