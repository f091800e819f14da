package murder

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/murderfleet/murder/tasks/remote"
)

func TestSettingsCheck(t *testing.T) {
	ok := normalSettings()
	with := func(f func(*settings)) settings {
		s := ok
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    settings
		n    need
		want string // substring of the error; "" for none
	}{
		{"all given", ok, needTag | needFiles | needDest, ""},
		{"nothing needed", with(func(s *settings) { s.Tag, s.FilesPath, s.DestinationPath = "", "", "" }), 0, ""},
		{"missing tag", with(func(s *settings) { s.Tag = "" }), needTag, "please specify a tag: tag=NAME"},
		{"tag not needed", with(func(s *settings) { s.Tag = "" }), needDest, ""},
		{"missing files_path", with(func(s *settings) { s.FilesPath = "" }), needFiles, "please specify files_path=PATH"},
		{"relative files_path", with(func(s *settings) { s.FilesPath = "build" }), needFiles, `files_path "build" must be an absolute path`},
		{"missing destination_path", with(func(s *settings) { s.DestinationPath = "" }), needDest, "please specify destination_path=PATH"},
		{"destination_path with ..", with(func(s *settings) { s.DestinationPath = "/srv/../etc" }), needDest, "must not contain '..'"},
		{"root destination with no_tag_directory", with(func(s *settings) { s.DestinationPath, s.NoTagDirectory = "/", true }), needDest, "destination_path / is refused"},
		{"root destination with tag directory", with(func(s *settings) { s.DestinationPath = "/" }), needDest, ""},
		{"bad tag", with(func(s *settings) { s.Tag = "a/b" }), needTag, "Tag cannot contain a / character"},
		{"relative temp_path always checked", with(func(s *settings) { s.TempPath = "tmp" }), 0, `temp_path "tmp" must be an absolute path`},
		{"empty temp_path", with(func(s *settings) { s.TempPath = "" }), 0, "temp_path is empty"},
		{"tuned", with(func(s *settings) { s.PeerConns, s.SeederConns, s.PieceLength = "10", "8", "256KiB" }), tunesPeer | tunesSeeder | tunesTorrent, ""},
		{"peer_connections zero", with(func(s *settings) { s.PeerConns = "0" }), tunesPeer, "peer_connections=0: want a whole number of connections from 1 to 1000"},
		{"peer_connections not used", with(func(s *settings) { s.PeerConns = "many" }), tunesSeeder, ""},
		{"seeder_connections text", with(func(s *settings) { s.SeederConns = "four" }), tunesSeeder, "seeder_connections=four"},
		{"piece_length not a power of two", with(func(s *settings) { s.PieceLength = "300KiB" }), tunesTorrent, "piece_length=300KiB: want a power of two from 16KiB to 64MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.check(tt.n)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("check = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("check = nil, want an error mentioning %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("check = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestValidateTag(t *testing.T) {
	for _, tag := range []string{"Deploy1", "v1.2.3", "a_b-c+d", "1", "release.2024-06-01", strings.Repeat("x", 128)} {
		if err := ValidateTag(tag); err != nil {
			t.Errorf("ValidateTag(%q) = %v, want nil", tag, err)
		}
	}
	refused := []struct{ tag, want string }{
		{"", "please specify a tag"},
		{"a/b", "Tag cannot contain a / character"},
		{"/", "Tag cannot contain a / character"},
		{"..", "must start with a letter or digit"},
		{".", "must start with a letter or digit"},
		{".hidden", "must start with a letter or digit"},
		{"-x", "must start with a letter or digit"},
		{"a b", "not allowed"},
		{"a'b", "not allowed"},
		{`a"b`, "not allowed"},
		{"$(x)", "not allowed"},
		{"`x`", "not allowed"},
		{"a;b", "not allowed"},
		{"a\nb", "not allowed"},
		{"a\x00b", "not allowed"},
		{"a*", "not allowed"},
		{"déploiement", "not allowed"},
		{strings.Repeat("x", 129), "longer than 128"},
	}
	for _, tt := range refused {
		err := ValidateTag(tt.tag)
		if err == nil {
			t.Errorf("ValidateTag(%q) = nil, want an error", tt.tag)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateTag(%q) = %q, want it to mention %q", tt.tag, err, tt.want)
		}
	}
}

func TestValidatePath(t *testing.T) {
	for _, p := range []string{"/", "/srv/app", "/srv/my app", "/srv/it's", `/srv/say "hi"`, "/srv/$(x)", "/srv/..x", "/srv/x..", "/srv/./x", "/srv/déploiement", "/-rf"} {
		if err := validatePath("destination_path", p); err != nil {
			t.Errorf("validatePath(%q) = %v, want nil", p, err)
		}
	}
	refused := []struct{ path, want string }{
		{"", "destination_path is empty"},
		{"srv/app", "must be an absolute path"},
		{"-rf", "must be an absolute path"},
		{"~/app", "must be an absolute path"},
		{"/srv/../etc", "must not contain '..'"},
		{"/srv/..", "must not contain '..'"},
		{"/srv/a\nb", "NUL byte or a line break"},
		{"/srv/a\rb", "NUL byte or a line break"},
		{"/srv/a\x00b", "NUL byte or a line break"},
	}
	for _, tt := range refused {
		err := validatePath("destination_path", tt.path)
		if err == nil {
			t.Errorf("validatePath(%q) = nil, want an error", tt.path)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("validatePath(%q) = %q, want it to mention %q", tt.path, err, tt.want)
		}
	}
}

func TestDest(t *testing.T) {
	tests := []struct {
		dest                  string
		noTag, isFile, unsafe bool
		want                  string
		wantMode              string
	}{
		{dest: "/srv/app", want: "/srv/app/Deploy1", wantMode: "tree"},
		{dest: "/srv/app/", want: "/srv/app/Deploy1", wantMode: "tree"},
		{dest: "/srv/app", unsafe: true, want: "/srv/app/Deploy1", wantMode: "replace"},
		{dest: "/srv/app", noTag: true, want: "/srv/app", wantMode: "merge"},
		{dest: "/srv/app.jar", isFile: true, want: "/srv/app.jar", wantMode: "file"},
		{dest: "/srv/app.jar", isFile: true, noTag: true, want: "/srv/app.jar", wantMode: "file"},
	}
	for _, tt := range tests {
		s := normalSettings()
		s.DestinationPath, s.NoTagDirectory, s.PathIsFile, s.UnsafeDelete = tt.dest, tt.noTag, tt.isFile, tt.unsafe
		name := fmt.Sprintf("%s noTag=%v file=%v unsafe=%v", tt.dest, tt.noTag, tt.isFile, tt.unsafe)
		if got := s.dest(); got != tt.want {
			t.Errorf("%s: dest() = %q, want %q", name, got, tt.want)
		}
		argv := s.startPeerCmd("", false)
		if i := slices.Index(argv, "--extract"); i < 0 || argv[i+1] != tt.want {
			t.Errorf("%s: the peer extracts per %q, want into %q", name, argv, tt.want)
		}
		if i := slices.Index(argv, "--extract-mode"); i < 0 || argv[i+1] != tt.wantMode {
			t.Errorf("%s: the peer extracts per %q, want --extract-mode %s", name, argv, tt.wantMode)
		}
		// Only a fresh tag directory must be empty; merging, replacing or
		// writing a single file accept an existing destination.
		wantEmpty := !tt.noTag && !tt.isFile && !tt.unsafe
		if got := slices.Contains(s.checkDestCmd(), "--require-empty"); got != wantEmpty {
			t.Errorf("%s: checkDest %q: --require-empty=%v, want %v", name, s.checkDestCmd(), got, wantEmpty)
		}
	}
}

// shellWords splits a command line the way a POSIX shell does, for the
// subset remote.Command produces: bare words of safe characters and
// single-quoted strings joined by \'. Anything else is an error, so the
// model also proves no special character is left unquoted.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote at %d in %q", i, line)
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
			cur.WriteByte('\'')
			i++
			inWord = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@%+=:,./_-", c) >= 0:
			cur.WriteByte(c)
			inWord = true
		default:
			return nil, fmt.Errorf("unquoted %q at %d in %q", c, i, line)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// checkRoundTrip asserts every argv command of s survives quoting.
func checkRoundTrip(t *testing.T, s settings) {
	t.Helper()
	for _, cmd := range argvCommands(s) {
		words, err := shellWords(remote.Command(cmd.argv...))
		if err != nil {
			t.Fatalf("%s: %v", cmd.name, err)
		}
		if !slices.Equal(words, cmd.argv) {
			t.Fatalf("%s: shell would see %q, want %q", cmd.name, words, cmd.argv)
		}
	}
}

func FuzzValidateTag(f *testing.F) {
	for _, s := range []string{"Deploy1", "v1.2.3", "a_b-c+d", "", "a/b", "..", "-x", "a b", "a'b", "$(x)", "a;b", "a\nb", "déploiement", strings.Repeat("x", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		if ValidateTag(tag) != nil {
			return
		}
		if strings.ContainsAny(tag, "/\n\x00") || tag == "" || len(tag) > 128 || strings.HasPrefix(tag, "-") {
			t.Fatalf("ValidateTag accepted %q", tag)
		}
		s := normalSettings()
		s.Tag = tag
		checkRoundTrip(t, s)
	})
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"/srv/app", "/srv/my app", "/srv/it's", `/srv/"q"`, "/srv/$(rm -rf /)", "/srv/`id`", "/a;b", "relative", "/srv/../etc", "/srv/a\nb", "/srv/a\x00b", "/srv/déploiement ☃", "/\\'\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if validatePath("destination_path", p) != nil {
			return
		}
		if strings.ContainsAny(p, "\n\r\x00") || !strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") {
			t.Fatalf("validatePath accepted %q", p)
		}
		s := normalSettings()
		s.FilesPath, s.DestinationPath, s.TempPath, s.MurderPath = p, p, p, p
		checkRoundTrip(t, s)
	})
}

func TestPieceLength(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "16KiB": 16 << 10, "262144": 256 << 10, "1MiB": 1 << 20, "64MiB": 64 << 20} {
		if got, err := pieceLength(in); err != nil || got != want {
			t.Errorf("pieceLength(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"8KiB", "128MiB", "100000", "1GiB", "-512KiB", "KiB", "0", "512 KiB", "9223372036854775807MiB"} {
		if got, err := pieceLength(in); err == nil {
			t.Errorf("pieceLength(%q) = %d, want an error", in, got)
		}
	}
}
