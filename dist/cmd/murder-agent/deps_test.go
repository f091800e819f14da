package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/murderfleet/murder/tasks/murder"
)

// TestAgentDependencies: the agent, built as distribute_files builds it,
// links the stand-ins of third_party/ (no WebRTC, tracing, UPnP, uTP,
// WebSocket, pprof server or go-cmp code) and no package of the libraries
// they replace brought back by an upgrade; nor the template packages,
// whose reflective method calls (as go-cmp's) would keep every exported
// method of every type in the binary.
func TestAgentDependencies(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", murder.AgentTags,
		"-f", "{{.ImportPath}} {{with .Module}}{{with .Replace}}{{.Path}}{{end}}{{end}}", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	stubbed := []string{"github.com/pion/webrtc/", "github.com/pion/datachannel", "go.opentelemetry.io/otel", "github.com/anacrolix/upnp",
		"github.com/anacrolix/envpprof", "github.com/anacrolix/utp", "github.com/google/go-cmp/", "github.com/gorilla/websocket"}
	for line := range strings.Lines(string(out)) {
		pkg, replace, _ := strings.Cut(strings.TrimSpace(line), " ")
		isStub := false
		for _, s := range stubbed {
			isStub = isStub || strings.HasPrefix(pkg, s)
		}
		switch {
		case isStub && !strings.HasPrefix(replace, "./third_party/"):
			t.Errorf("%s comes from the real module, not third_party/ (replace %q)", pkg, replace)
		case !isStub && (strings.HasPrefix(pkg, "github.com/pion/") && pkg != "github.com/pion/logging" || strings.HasPrefix(pkg, "go.opentelemetry.io/")),
			pkg == "net/http/pprof", pkg == "text/template", pkg == "html/template":
			t.Errorf("the agent links %s", pkg)
		}
	}
}
