package murder

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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

// ImportCapfile is murder:import_capfile: it translates a Capistrano 2 or
// 3 project (capfile=DIR, or capfile=FILE[,FILE...]: a Capfile or
// config/deploy.rb), for one stage (stage=NAME) of a multistage project,
// into murder.yaml (output=PATH, default ./murder.yaml) and its own tasks
// and hooks into Go for the magefile (tasks_output=PATH, default
// magefiles/capistrano_tasks.go). Existing files are kept unless force=1.
// Every line it could not translate is listed on stderr, also when the
// conversion fails.
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
		return errors.New("please specify capfile=PATH (a project directory, its Capfile or config/deploy.rb)")
	}
	out, goOut := cmp.Or(args.Get("output"), roles.DefaultFile), cmp.Or(args.Get("tasks_output"), "magefiles/capistrano_tasks.go")
	project := capfile.Project{Stage: args.Get("stage")}
	if fi, err := os.Stat(in); err == nil && fi.IsDir() {
		project.Dir = in
	} else {
		project.Files = tasks.SplitList(in)
	}
	var names []string
	for _, t := range tasks.All() {
		names = append(names, t.Name)
	}
	res, err := capfile.ConvertProject(project, capfile.Options{Tasks: names})
	if res != nil {
		for _, l := range res.Untranslated {
			fmt.Fprintf(stderr, "not translated: %s\n", l)
		}
	}
	if err != nil {
		return err
	}
	files := map[string][]byte{out: res.YAML}
	wrote := out
	if res.Go != nil {
		files[goOut] = res.Go
		wrote += " and " + goOut
	}
	if err := writeNew(files, args.Bool("force")); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s from %s; %d of %d task line(s) became Go; %d line(s) not translated (listed above, and as comments in %s)\n",
		wrote, strings.Join(res.Files, ", "), res.TaskLinesGo, res.TaskLines, len(res.Untranslated), out)
	return nil
}

// writeNew writes the files the import produced, none of them unless
// every one is new (or force).
func writeNew(files map[string][]byte, force bool) error {
	for path := range files {
		if _, err := os.Stat(path); err == nil && !force {
			return fmt.Errorf("%s exists: give output=PATH (tasks_output=PATH for the Go file), or force=1 to replace it", path)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for path, data := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
