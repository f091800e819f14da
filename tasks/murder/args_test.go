package murder

import (
	"slices"
	"strings"
	"testing"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
)

func mustArgs(t *testing.T, words []string, e map[string]string) *tasks.Args {
	t.Helper()
	a, err := tasks.ParseArgs(words, env(e))
	if err != nil {
		t.Fatalf("ParseArgs(%q): %v", words, err)
	}
	return a
}

func TestResolvePrecedence(t *testing.T) {
	vars := roles.Vars{
		DefaultTag: "FromYAML", DefaultSeederFilesPath: "/yaml/files", DefaultDestinationPath: "/yaml/dest",
		DefaultTempPath: "/yaml/tmp", RemoteMurderPath: "/u/apps/shop/shared/murder", TrackerPort: 8998,
	}
	tests := []struct {
		name  string
		words []string
		env   map[string]string
		want  settings
	}{
		{
			name: "murder.yaml defaults when neither given",
			want: settings{Tag: "FromYAML", FilesPath: "/yaml/files", DestinationPath: "/yaml/dest", TempPath: "/yaml/tmp"},
		},
		{
			name: "environment beats murder.yaml",
			env:  map[string]string{"tag": "FromEnv", "files_path": "/env/files", "destination_path": "/env/dest", "temp_path": "/env/tmp"},
			want: settings{Tag: "FromEnv", FilesPath: "/env/files", DestinationPath: "/env/dest", TempPath: "/env/tmp"},
		},
		{
			name:  "command line beats environment",
			words: []string{"tag=FromCLI", "files_path=/cli/files", "destination_path=/cli/dest", "temp_path=/cli/tmp"},
			env:   map[string]string{"tag": "FromEnv", "files_path": "/env/files", "destination_path": "/env/dest", "temp_path": "/env/tmp"},
			want:  settings{Tag: "FromCLI", FilesPath: "/cli/files", DestinationPath: "/cli/dest", TempPath: "/cli/tmp"},
		},
		{
			name:  "mixed sources",
			words: []string{"tag=FromCLI"},
			env:   map[string]string{"destination_path": "/env/dest"},
			want:  settings{Tag: "FromCLI", FilesPath: "/yaml/files", DestinationPath: "/env/dest", TempPath: "/yaml/tmp"},
		},
		{
			name:  "flags from command line and environment",
			words: []string{"path_is_file=1", "no_tag_directory=yes"},
			env:   map[string]string{"unsafe_please_delete": "true"},
			want:  settings{Tag: "FromYAML", FilesPath: "/yaml/files", DestinationPath: "/yaml/dest", TempPath: "/yaml/tmp", PathIsFile: true, NoTagDirectory: true, UnsafeDelete: true},
		},
		{
			name:  "command line 0 beats environment 1",
			words: []string{"path_is_file=0"},
			env:   map[string]string{"path_is_file": "1"},
			want:  settings{Tag: "FromYAML", FilesPath: "/yaml/files", DestinationPath: "/yaml/dest", TempPath: "/yaml/tmp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(mustArgs(t, tt.words, tt.env).Get, vars)
			tt.want.MurderPath, tt.want.TrackerPort = vars.RemoteMurderPath, vars.TrackerPort
			tt.want.Sealed = true // encrypt=1 is the default
			if got != tt.want {
				t.Errorf("resolve =\n %+v, want\n %+v", got, tt.want)
			}
		})
	}
}

func TestArgsBool(t *testing.T) {
	for _, v := range []string{"", "0", "false", "FALSE", "no", "No", "off", "OFF"} {
		if mustArgs(t, []string{"dry_run=" + v}, nil).Bool("dry_run") {
			t.Errorf("dry_run=%q is true, want false", v)
		}
	}
	for _, v := range []string{"1", "true", "TRUE", "yes", "on", "y", "anything"} {
		if !mustArgs(t, []string{"dry_run=" + v}, nil).Bool("dry_run") {
			t.Errorf("dry_run=%q is false, want true", v)
		}
	}
	if !mustArgs(t, nil, map[string]string{"dry_run": "1"}).Bool("dry_run") {
		t.Error("dry_run=1 in the environment is false")
	}
	if mustArgs(t, nil, nil).Bool("dry_run") {
		t.Error("dry_run unset is true")
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		words []string
		want  []string // substrings of the error
	}{
		{[]string{"destinaton_path=/srv/app"}, []string{`"destinaton_path"`, "did you mean destination_path?"}},
		{[]string{"tga=Deploy1"}, []string{"did you mean tag?"}},
		{[]string{"dryrun=1"}, []string{"did you mean dry_run?"}},
		{[]string{"completely_unrelated=1"}, []string{"unknown argument", "known: agent_port, agent_sources, capfile, config, destination_path"}},
		{[]string{"Deploy1"}, []string{`"Deploy1" is not name=value`}},
		{[]string{"tag=a\nb"}, []string{"argument tag", "line break"}},
		{[]string{"destination_path=/srv/a\rb"}, []string{"argument destination_path", "line break"}},
		{[]string{"tag=a\x00b"}, []string{"NUL byte"}},
		{[]string{"tag=ok", "TAG=upper"}, []string{`unknown argument "TAG"`}},
	}
	for _, tt := range tests {
		_, err := tasks.ParseArgs(tt.words, env(nil))
		if err == nil {
			t.Errorf("ParseArgs(%q) = nil error", tt.words)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseArgs(%q) = %q, want it to mention %q", tt.words, err, w)
			}
		}
	}
	if _, err := tasks.ParseArgs([]string{"completely_unrelated=1"}, env(nil)); strings.Contains(err.Error(), "did you mean") {
		t.Errorf("far-off name got a suggestion: %v", err)
	}
}

func TestArgsGetAndGiven(t *testing.T) {
	a := mustArgs(t, []string{"tag=T", "dry_run=1", "destination_path=/d", "files_path="}, map[string]string{
		"HOSTS": "w01,w02", "ROLES": "app", "TAG": "ignored", "temp_path": "/env/tmp", "files_path": "/env/files",
	})
	tests := []struct{ name, want string }{
		{"tag", "T"},
		{"hosts", "w01,w02"}, // Capistrano's HOSTS=
		{"roles", "app"},     // Capistrano's ROLES=
		{"temp_path", "/env/tmp"},
		{"files_path", ""}, // given empty on the command line: the environment does not fill it
		{"config", ""},
	}
	for _, tt := range tests {
		if got := a.Get(tt.name); got != tt.want {
			t.Errorf("Get(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got, want := a.Given(), []string{"destination_path", "dry_run", "files_path", "tag"}; !slices.Equal(got, want) {
		t.Errorf("Given() = %q, want %q", got, want)
	}

	lower := mustArgs(t, nil, map[string]string{"hosts": "w03", "HOSTS": "w01"})
	if got := lower.Get("hosts"); got != "w03" {
		t.Errorf("hosts= env = %q, want the lower-case variable w03", got)
	}
	cli := mustArgs(t, []string{"hosts=w09"}, map[string]string{"hosts": "w03", "HOSTS": "w01"})
	if got := cli.Get("hosts"); got != "w09" {
		t.Errorf("hosts= on the command line = %q, want w09", got)
	}
}
