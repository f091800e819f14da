package murder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/roles/capfile"
	"github.com/murderfleet/murder/tasks"
)

// ImportOptions are what ImportCapfile needs from its caller.
type ImportOptions struct {
	Stdout, Stderr io.Writer           // default os.Stdout, os.Stderr
	Getenv         func(string) string // default os.Getenv
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// ImportCapfile is murder:import_capfile: it translates a Capistrano 2 or
// 3 Capfile or deploy.rb (capfile=PATH) into murder.yaml (output=PATH,
// default ./murder.yaml; an existing file is kept unless force=1), and
// lists on stderr every line it could not translate. The written file is
// checked by murder's own parser.
func ImportCapfile(words []string, o ImportOptions) error {
	args, err := tasks.ParseArgs(words, o.Getenv)
	if err != nil {
		return err
	}
	stdout, stderr := o.Stdout, o.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	in := args.Get("capfile")
	if in == "" {
		return errors.New("please specify capfile=PATH (a Capfile or config/deploy.rb)")
	}
	out := args.Get("output")
	if out == "" {
		out = roles.DefaultFile
	}
	if _, err := os.Stat(out); err == nil && !truthy(args.Get("force")) {
		return fmt.Errorf("%s exists: give output=PATH, or force=1 to replace it", out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var names []string
	for _, t := range tasks.All() {
		names = append(names, t.Name)
	}
	text, lines, err := capfile.Options{Tasks: names}.ConvertFiles(in)
	if err != nil {
		return err
	}
	if _, err := roles.Parse(bytesReader(text), out); err != nil {
		return fmt.Errorf("the translation of %s does not parse, please report it: %w", in, err)
	}
	if err := os.WriteFile(out, text, 0o644); err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintf(stderr, "not translated: %s\n", l)
	}
	fmt.Fprintf(stdout, "wrote %s from %s; %d line(s) not translated (listed above, and as comments in %s)\n", out, in, len(lines), out)
	return nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
