package capfile

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Project names a Capistrano project to convert as `cap STAGE deploy`
// reads it.
type Project struct {
	// Dir is the directory cap runs in: its Capfile (or, without one,
	// config/deploy.rb) is read first. Ignored when Files is set.
	Dir string
	// Files, when set, are read in this order instead of Dir's Capfile.
	Files []string
	// Stage is the stage to convert. A project with stages (Capistrano 3,
	// or Capistrano 2 multistage) needs one, unless Capistrano 2's
	// :default_stage names one.
	Stage string
}

// Result is a converted project.
type Result struct {
	YAML         []byte   // murder.yaml
	Go           []byte   // the mage targets translated from Ruby tasks and hooks; nil when there are none
	Untranslated []Line   // lines not translated, in file order
	Notes        []Line   // lines translated to nothing on purpose, with why (also in YAML's header)
	Stages       []string // the project's stages, if it has any
	Stage        string   // the stage converted, if any
	Files        []string // the files read, in order
	TaskLines    int      // lines of Ruby tasks found
	TaskLinesGo  int      // of which translated to Go
}

// ConvertProject translates a Capistrano project: the Capfile, the files
// it loads, requires and imports (Rake tasks included), config/deploy.rb
// (or Capistrano 3's :deploy_config_path) and the stage's file (in
// :stage_config_path or Capistrano 2's :stage_dir), in the order cap
// reads them, later values replacing earlier ones. Ruby tasks and their
// hooks become Go (Result.Go). On error the Result, when not nil, still
// holds the stages and the lines found untranslated so far.
func ConvertProject(p Project, o Options) (*Result, error) {
	files := p.Files
	if len(files) == 0 {
		first, err := projectStart(p.Dir)
		if err != nil {
			return nil, err
		}
		files = []string{first}
	}
	c := newConverter(o, true)
	c.project, c.wantStage, c.gen = true, p.Stage, true
	err := c.files(files)
	if err == nil && p.Stage != "" && c.stage == "" {
		err = c.lateStage(p.Stage, files[0])
	}
	res := &Result{Stages: c.stages, Stage: c.stage, Files: slices.Clone(c.names)}
	if err != nil {
		res.Untranslated = c.sortedNotes()
		return res, err
	}
	c.translate()
	res.TaskLines, res.TaskLinesGo = c.taskLines, c.taskLinesGo
	res.YAML, res.Untranslated, err = c.finish()
	res.Notes = c.sortedInfos()
	if err != nil {
		return res, err
	}
	res.Go, err = c.goFile()
	return res, err
}

// projectStart finds the file cap reads first in dir.
func projectStart(dir string) (string, error) {
	for _, name := range []string{"Capfile", "capfile", "Capfile.rb", filepath.Join("config", "deploy.rb")} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: no Capfile nor config/deploy.rb: not a Capistrano project", dir)
}

// lateStage reads config/deploy/STAGE.rb of a project that set up no
// stages but has the file, as Capistrano 2 users load it by hand.
func (c *converter) lateStage(stage, first string) error {
	p := filepath.Join(projectDir(first), "config", "deploy", stage+".rb")
	if _, err := os.Stat(p); err != nil {
		return fmt.Errorf("stage %s given, but the project has no stages (and no %s)", stage, p)
	}
	c.stageFile = [2]string{stage, p}
	c.stages = []string{stage}
	return c.readFile(p)
}

// globLoad follows `Dir.glob('lib/capistrano/tasks/*.rake').each { |r| import r }`
// and `Dir['x/*.rb'].each { |f| load f }`: each file found is read, in
// name order, relative to the project.
func (c *converter) globLoad(st stmt, b block, _ string) {
	pattern, ok := "", false
	for _, t := range b.head {
		if t.kind == kString {
			p := &parser{sc: c, toks: []token{t}}
			pattern, ok = p.str().text()
			break
		}
	}
	body := split(b.body)
	how := ""
	if len(body) == 1 {
		how = callName(body[0])
	}
	if !ok || !b.has || !slices.Contains([]string{"import", "load", "require"}, how) {
		c.untranslated(st, "loads recipe files found by a pattern: not understood, convert those files too")
		return
	}
	if !c.fs {
		c.untranslated(st, "loads recipe files found by a pattern: convert the project to read them")
		return
	}
	if how == "import" {
		c.cap3 = true
	}
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(c.base, pattern)
	}
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		c.drop(st, "loads recipe files found by a pattern: none found")
		return
	}
	for _, f := range files {
		if err := c.readFile(f); err != nil {
			c.untranslated(st, fmt.Sprintf("%s: %v", f, err))
		}
	}
}

// sortedInfos returns the notes on lines translated to nothing on purpose.
func (c *converter) sortedInfos() []Line {
	saved := c.notes
	c.notes = c.infos
	defer func() { c.notes = saved }()
	return c.sortedNotes()
}

// info records a line translated to nothing on purpose: it is listed in
// the header but is not untranslated.
func (c *converter) info(st stmt, why string) {
	l := c.at(st.first)
	l.Why = why
	c.infos = append(c.infos, l)
}

// stageList formats stages for messages.
func stageList(stages []string) string { return strings.Join(stages, ", ") }

// drop records a statement translated to nothing on purpose: a note in a
// project, where the header separates the two, else untranslated as before.
func (c *converter) drop(st stmt, why string) {
	if c.project {
		c.info(st, why)
		return
	}
	c.untranslated(st, why)
}

// dropped are the reasons drop is used for: nothing is lost with them.
var dropped = map[string]bool{
	"Capistrano version lock: not needed by murder":                           true,
	"Capistrano plugin: not needed by murder":                                 true,
	"Capistrano plugin: murder has its own deploy tasks":                      true,
	"Capistrano plugin: murder reads repository with git itself":              true,
	"Capistrano 2's built-in deploy recipes: murder has its own deploy tasks": true,
}
