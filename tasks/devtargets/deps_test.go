package devtargets

import (
	"os/exec"
	"strings"
	"testing"
)

// TestMagefileDependencies: what the project's magefile imports (murder's
// targets and these) links no HTTP stack, TLS, BitTorrent library or
// package testing. Each would be compiled on a newcomer's first
// `go tool mage` with an empty build cache; the agent, built apart with
// CGO_ENABLED=0, shares none of those compilations.
func TestMagefileDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../targets", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	banned := []string{"net/http", "crypto/tls", "database/sql", "expvar", "testing", "github.com/anacrolix/", "github.com/murderfleet/murder/dist/tracker"}
	for pkg := range strings.Lines(string(out)) {
		pkg = strings.TrimSpace(pkg)
		for _, b := range banned {
			if pkg == b || strings.HasSuffix(b, "/") && strings.HasPrefix(pkg, b) {
				t.Errorf("the magefile links %s", pkg)
			}
		}
	}
}
