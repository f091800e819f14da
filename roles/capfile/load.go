package capfile

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// load translates load, require, require_relative and import: recipes of
// Capistrano and its plugins are noted; relative files are read when
// converting files from disk.
func (c *converter) load(st stmt, b block, _ string) {
	how := b.head[0].text
	p := &parser{sc: c, toks: b.head[1:]}
	args, _ := p.args()
	if b.has || len(args) != 1 {
		c.untranslated(st, "loads files: convert those files too")
		return
	}
	path, ok := args[0].text()
	if !ok {
		c.untranslated(st, "loads a file named by "+whyOf(args[0])+": convert that file too")
		return
	}
	if how == "require" && (path == "capistrano/setup" || path == "capistrano/ext/multistage") {
		c.cap3 = c.cap3 || path == "capistrano/setup"
		c.stageSetup(st, path)
		return
	}
	if why := c.library(how, path); why != "" {
		c.untranslated(st, why)
		return
	}
	c.follow(st, how, path)
}

// library explains loads of Capistrano's, Murder's and other libraries'
// recipes; "" for a file of the project.
func (c *converter) library(how, path string) string {
	const plugin = "Capistrano plugin: not needed by murder"
	switch {
	case how == "import":
		c.cap3 = true
		return "imports Rake tasks: Ruby tasks are not translated"
	case how == "load" && (path == "deploy" || path == "deploy.rb"):
		return "Capistrano 2's built-in deploy recipes: murder has its own deploy tasks"
	case how == "load" && path == "deploy/assets":
		return "Rails asset recipes: murder does not precompile assets"
	case how == "require" && (path == "murder" || strings.HasPrefix(path, "murder/")):
		return "Murder's Capistrano recipes: built into murder"
	case how == "require" && path == "capistrano/deploy":
		c.cap3 = true
		return "Capistrano plugin: murder has its own deploy tasks"
	case how == "require" && strings.HasPrefix(path, "capistrano/scm"):
		return "Capistrano plugin: murder reads repository with git itself"
	case how == "require" && strings.Contains(path, "capistrano"):
		return plugin + "; its tasks are not translated"
	case how == "require" && !strings.HasPrefix(path, "./") && !strings.HasPrefix(path, "../"):
		return "Ruby library: not needed by murder"
	}
	return ""
}

// stageSetup remembers capistrano/setup or multistage, whose stage file
// is chosen once every file is read.
func (c *converter) stageSetup(st stmt, path string) {
	if !c.fs {
		c.untranslated(st, "Capistrano plugin (stages): servers and settings are in config/deploy.rb and config/deploy/STAGE.rb: convert those too")
		return
	}
	if c.setup != nil {
		c.untranslated(st, "Capistrano plugin (stages): already required")
		return
	}
	at := c.at(st.first)
	c.setup, c.setupDir, c.multi = &at, projectDir(c.cur.name), path != "capistrano/setup"
	if !c.multi {
		// Capistrano 3 reads config/deploy.rb after the Capfile, before the stage.
		deploy := filepath.Join(c.setupDir, "config", "deploy.rb")
		if _, err := os.Stat(deploy); err == nil {
			c.pending = append([]string{deploy}, c.pending...)
		}
	}
}

// projectDir is the directory cap runs in, where config/deploy/ is:
// the Capfile's, or the parent of config/deploy.rb's.
func projectDir(file string) string {
	dir := filepath.Dir(file)
	if filepath.Base(file) == "deploy.rb" && filepath.Base(dir) == "config" {
		return filepath.Dir(dir)
	}
	return dir
}

// chooseStage queues the stage file once every other file is read:
// :default_stage, else the only one. It reports whether it queued one.
func (c *converter) chooseStage() bool {
	if c.setup == nil || c.setup.Why != "" {
		return false
	}
	setup := c.setup
	dir := filepath.Join(c.setupDir, "config", "deploy")
	files, _ := filepath.Glob(filepath.Join(dir, "*.rb"))
	var stages []string
	for _, f := range files {
		stages = append(stages, strings.TrimSuffix(filepath.Base(f), ".rb"))
	}
	want, _ := c.vars["default_stage"].text()
	switch {
	case c.stage != "":
		setup.Why = fmt.Sprintf("Capistrano plugin (stages): stage %s converted", c.stage)
	case want != "" && slices.Contains(stages, want):
		setup.Why = fmt.Sprintf("Capistrano plugin (stages): default stage %s converted", want)
		c.pending = append(c.pending, filepath.Join(dir, want+".rb"))
	case len(stages) == 1:
		setup.Why = fmt.Sprintf("Capistrano plugin (stages): stage %s converted", stages[0])
		c.pending = append(c.pending, files[0])
	case len(stages) == 0:
		setup.Why = "Capistrano plugin (stages): no stage file found in " + dir
	default:
		setup.Why = fmt.Sprintf("Capistrano plugin (stages): several stages (%s): convert this file together with the stage file to use",
			strings.Join(stages, ", "))
	}
	c.notes = append(c.notes, *setup)
	return len(c.pending) > 0
}

// follow reads a file of the project that st loads.
func (c *converter) follow(st stmt, how, path string) {
	if !c.fs {
		c.untranslated(st, "load/require not followed: convert that file too")
		return
	}
	dir := c.base
	if how == "require_relative" {
		dir = c.cur.dir
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	found := ""
	for _, p := range []string{path, path + ".rb"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			found = p
			break
		}
	}
	abs, _ := filepath.Abs(found)
	switch {
	case found == "":
		c.untranslated(st, "load/require not followed: file not found (convert it too)")
	case slices.Contains(c.loading, abs):
		c.untranslated(st, "loads a file that is being read (a cycle): not followed")
	case c.loaded[abs]:
		// Already translated: require does nothing the second time, and a
		// second load would only repeat the same declarations.
	default:
		if err := c.readFile(found); err != nil {
			c.untranslated(st, fmt.Sprintf("load/require not followed: %v", err))
		}
	}
}
