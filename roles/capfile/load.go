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
	if why := c.library(how, path); dropped[why] {
		c.drop(st, why)
		return
	} else if why != "" {
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
		if c.fs {
			return "" // Rake reads it: its tasks are translated with the others
		}
		return "imports Rake tasks: convert the project to translate them"
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
		deploy := c.deployConfig()
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

// chooseStage queues the stage file once every other file is read: the
// stage asked for, else :default_stage, else (outside a project) the only
// one. It reports whether it queued one; c.err is set when a project's
// stage cannot be chosen.
func (c *converter) chooseStage() bool {
	if c.err != nil || c.setup == nil || c.setup.Why != "" {
		return false
	}
	setup := c.setup
	dir, stages := c.stageFiles()
	c.stages = stages
	want, _ := c.vars["default_stage"].text()
	if c.wantStage != "" {
		want = c.wantStage
	}
	var chosen string
	switch {
	case c.stage != "":
		setup.Why = fmt.Sprintf("Capistrano plugin (stages): stage %s converted", c.stage)
	case want != "" && slices.Contains(stages, want):
		chosen = want
		setup.Why = fmt.Sprintf("Capistrano plugin (stages): stage %s converted", want)
	case c.project && len(stages) == 0:
		c.err = fmt.Errorf("%s: no stage file found in %s", setup.File, dir)
	case c.project && want != "":
		c.err = fmt.Errorf("%s: no stage %s; project has stages: %s", setup.File, want, strings.Join(stages, ", "))
	case c.project:
		c.err = fmt.Errorf("project has stages: %s; give stage=NAME", strings.Join(stages, ", "))
	case len(stages) == 1:
		chosen = stages[0]
		setup.Why = fmt.Sprintf("Capistrano plugin (stages): stage %s converted", stages[0])
	case len(stages) == 0:
		setup.Why = "Capistrano plugin (stages): no stage file found in " + dir
	default:
		setup.Why = fmt.Sprintf("Capistrano plugin (stages): several stages (%s): convert this file together with the stage file to use",
			strings.Join(stages, ", "))
	}
	if c.err != nil {
		return false
	}
	if chosen != "" {
		c.stageFile = [2]string{chosen, filepath.Join(dir, chosen+".rb")}
		c.pending = append(c.pending, c.stageFile[1])
	}
	if c.project && chosen != "" {
		c.infos = append(c.infos, *setup)
		return true
	}
	c.notes = append(c.notes, *setup)
	return len(c.pending) > 0
}

// stageFiles returns the directory of the stage files and the stages:
// Capistrano 3's :stage_config_path (config/deploy) holds STAGE.rb;
// Capistrano 2's multistage reads :stages, else the files in :stage_dir.
func (c *converter) stageFiles() (string, []string) {
	key := "stage_config_path"
	if c.multi {
		key = "stage_dir"
	}
	dir := filepath.Join(c.setupDir, "config", "deploy")
	if s, ok := c.vars[key].text(); ok && s != "" {
		dir = s
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(c.setupDir, s)
		}
	}
	var stages []string
	if v := c.vars["stages"]; c.multi && v.kind == vArray {
		for _, it := range v.list {
			if s, ok := it.text(); ok {
				stages = append(stages, s)
			}
		}
		return dir, stages
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.rb"))
	for _, f := range files {
		stages = append(stages, strings.TrimSuffix(filepath.Base(f), ".rb"))
	}
	return dir, stages
}

// deployConfig is the file Capistrano 3 reads after the Capfile:
// :deploy_config_path, set in the Capfile, else config/deploy.rb.
func (c *converter) deployConfig() string {
	p := filepath.Join(c.setupDir, "config", "deploy.rb")
	if s, ok := c.vars["deploy_config_path"].text(); ok && s != "" {
		p = s
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.setupDir, s)
		}
	}
	return p
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
