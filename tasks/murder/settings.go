package murder

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
)

// settings are one host's effective values: explicit arguments win over
// murder.yaml's defaults (the original let a non-empty default win).
type settings struct {
	Tag, FilesPath, DestinationPath, TempPath string
	PathIsFile, NoTagDirectory, UnsafeDelete  bool
	MurderPath                                string
	TrackerPort                               int
	// Sealed: the transfer's peer connections are encrypted (encrypt=1
	// and obfuscate=1, the defaults); the payload's encryption follows its
	// key file.
	Sealed bool
	// Plain: encrypt=0, a transfer for other BitTorrent clients too.
	Plain bool
	// The tuning arguments as given ("": the agent's default), checked by
	// checkTuning: peer_connections, seeder_connections, piece_length.
	PeerConns, SeederConns, PieceLength string
}

// settingsOf resolves the run's arguments against h's variables (nil h:
// the global ones), then applies WithDestination.
func settingsOf(ctx context.Context, h *tasks.Host) settings {
	var v roles.Vars
	if h != nil {
		v = h.Vars()
	} else {
		v = tasks.Config(ctx).Global()
	}
	s := resolve(func(name string) string { return tasks.Arg(ctx, name) }, v)
	if dest, ok := ctx.Value(destKey{}).(func(*tasks.Host) string); ok && h != nil {
		s.DestinationPath = dest(h)
	}
	return s
}

// resolve picks each setting: the argument if given, else murder.yaml's
// default.
func resolve(arg func(string) string, v roles.Vars) settings {
	pick := func(name, def string) string {
		if s := arg(name); s != "" {
			return s
		}
		return def
	}
	flag := func(name string) bool { return truthy(arg(name)) }
	return settings{
		Tag:             pick("tag", v.DefaultTag),
		FilesPath:       pick("files_path", v.DefaultSeederFilesPath),
		DestinationPath: pick("destination_path", v.DefaultDestinationPath),
		TempPath:        pick("temp_path", v.DefaultTempPath),
		PathIsFile:      flag("path_is_file"),
		NoTagDirectory:  flag("no_tag_directory"),
		UnsafeDelete:    flag("unsafe_please_delete"),
		MurderPath:      v.RemoteMurderPath,
		TrackerPort:     v.TrackerPort,
		Sealed:          flag("encrypt") && flag("obfuscate"),
		Plain:           !flag("encrypt"),
		PeerConns:       arg("peer_connections"),
		SeederConns:     arg("seeder_connections"),
		PieceLength:     arg("piece_length"),
	}
}

// truthy reads a flag argument as tasks.Args.Bool does: set and not "0",
// "false", "no" or "off".
func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

type destKey struct{}

// WithDestination returns a context in which murder:peer extracts into
// dest(h) on each host h instead of destination_path: the deploy flow
// unpacks into each host's own releases directory this way.
func WithDestination(ctx context.Context, dest func(h *tasks.Host) string) context.Context {
	return context.WithValue(ctx, destKey{}, dest)
}

func (s settings) agent() string    { return path.Join(s.MurderPath, "murder-agent") }
func (s settings) runDir() string   { return path.Join(s.MurderPath, "run") }
func (s settings) filename() string { return path.Join(s.TempPath, s.Tag+".tgz") }
func (s settings) torrent() string  { return s.filename() + ".torrent" }

// dest is where a peer's files end up: destination_path/TAG, or
// destination_path itself with no_tag_directory or path_is_file.
func (s settings) dest() string {
	if s.NoTagDirectory || s.PathIsFile {
		return s.DestinationPath
	}
	return path.Join(s.DestinationPath, s.Tag)
}

// need lists what a task requires of the settings.
type need int

const (
	needTag need = 1 << iota
	needFiles
	needDest
	// The task passes these tuning arguments on (optional; checked when
	// given).
	tunesPeer    // peer_connections
	tunesSeeder  // seeder_connections
	tunesTorrent // piece_length
)

// check validates the settings a task needs, with the original's messages
// for missing ones, before anything runs remotely.
func (s settings) check(n need) error {
	if n&needTag != 0 {
		if err := ValidateTag(s.Tag); err != nil {
			return err
		}
	}
	if n&needFiles != 0 {
		if s.FilesPath == "" {
			return fmt.Errorf("please specify files_path=PATH (the directory on the seeder to distribute), or set default_seeder_files_path in murder.yaml")
		}
		if err := validatePath("files_path", s.FilesPath); err != nil {
			return err
		}
	}
	if n&needDest != 0 {
		if s.DestinationPath == "" {
			return fmt.Errorf("please specify destination_path=PATH (where the peers put the files), or set default_destination_path in murder.yaml")
		}
		if err := validatePath("destination_path", s.DestinationPath); err != nil {
			return err
		}
		if s.dest() == "/" {
			return fmt.Errorf("destination_path / is refused: murder will not extract into the root directory")
		}
		if err := s.checkReplace(); err != nil {
			return err
		}
	}
	if err := validatePath("temp_path", s.TempPath); err != nil {
		return err
	}
	return s.checkTuning(n)
}

// ValidateTag checks a tag: it names files (TAG.tgz) on every host, so it
// is kept to a portable file-name alphabet.
func ValidateTag(tag string) error {
	switch {
	case tag == "":
		return fmt.Errorf("please specify a tag: tag=NAME (or set default_tag in murder.yaml)")
	case strings.Contains(tag, "/"):
		return fmt.Errorf("tag %q: Tag cannot contain a / character", tag)
	case len(tag) > 128:
		return fmt.Errorf("tag %q is longer than 128 characters", tag)
	case tag == "." || tag == ".." || strings.HasPrefix(tag, "-") || strings.HasPrefix(tag, "."):
		return fmt.Errorf("tag %q: a tag must start with a letter or digit", tag)
	}
	for _, c := range tag {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '+') {
			return fmt.Errorf("tag %q: %q is not allowed; a tag may contain only ASCII letters, digits, '.', '_', '+' and '-'", tag, c)
		}
	}
	return nil
}

// validatePath checks a remote path argument: absolute, clean of NUL and
// line breaks. Spaces and quotes are fine: every word is quoted.
func validatePath(name, p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%s is empty", name)
	case strings.ContainsAny(p, "\x00\n\r"):
		return fmt.Errorf("%s %q contains a NUL byte or a line break", name, p)
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s %q must be an absolute path", name, p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return fmt.Errorf("%s %q must not contain '..'", name, p)
		}
	}
	return nil
}
