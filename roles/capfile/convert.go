package capfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// converter holds what the files translated so far declared.
type converter struct {
	opts       Options
	fs         bool     // loads are followed on disk
	names      []string // files read, in order
	cur        *file
	notes      []Line
	infos      []Line // lines translated to nothing on purpose
	gen        bool   // tasks are translated to Go
	deployToAt *Line  // the last set :deploy_to
	goState
	locals  map[string]value // Ruby local variables and constants
	vars    map[string]value // Capistrano variables, translated or not
	cap3    bool             // Capistrano 3 idioms seen
	set     section          // set:
	ssh     section          // ssh:
	servers []decl           // roles:, in declaration order
	hooks   [2]hookSection   // hooks: before, after
	fsState
}

// file is the file being translated.
type file struct {
	name  string
	dir   string // its directory, for require_relative
	lines []string
}

func newConverter(o Options, fs bool) *converter {
	return &converter{opts: o, fs: fs, locals: map[string]value{}, vars: map[string]value{},
		fsState: fsState{loaded: map[string]bool{}},
		goState: goState{goImports: map[string]bool{}, userSets: map[string][]Line{}, pendingKeys: map[string]bool{}}}
}

// source translates one file's content.
func (c *converter) source(name string, data []byte, dir string) error {
	if len(data) > maxFileSize {
		return fmt.Errorf("%s: larger than 4 MiB: not a Capistrano configuration", name)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // Ruby ignores a UTF-8 byte order mark
	if !utf8.Valid(data) {
		return fmt.Errorf("%s: not UTF-8 text: not a Capistrano configuration", name)
	}
	src := string(data)
	prev := c.cur
	c.cur = &file{name: name, dir: dir, lines: strings.Split(src, "\n")}
	defer func() { c.cur = prev }()
	if !slices.Contains(c.names, name) {
		c.names = append(c.names, name)
	}
	c.stmts(split(lex(src)), "")
	return nil
}

// text returns line n of the current file, trimmed.
func (f *file) text(n int) string {
	if n < 1 || n > len(f.lines) {
		return ""
	}
	return strings.TrimSpace(f.lines[n-1])
}

// at locates line n of the current file.
func (c *converter) at(n int) Line {
	return Line{File: c.cur.name, N: n, Text: c.cur.text(n)}
}

// untranslated records a whole statement as not translated.
func (c *converter) untranslated(st stmt, why string) {
	l := c.at(st.first)
	if st.last > st.first {
		why = fmt.Sprintf("lines %d-%d: %s", st.first, st.last, why)
	}
	l.Why = why
	c.notes = append(c.notes, l)
}

// note records one line (of a statement otherwise translated) as not translated.
func (c *converter) note(line int, format string, args ...any) {
	l := c.at(line)
	l.Why = fmt.Sprintf(format, args...)
	c.notes = append(c.notes, l)
}

// noteAt records a line located earlier, possibly in another file.
func (c *converter) noteAt(at Line, format string, args ...any) {
	at.Why = fmt.Sprintf(format, args...)
	c.notes = append(c.notes, at)
}

// sortedNotes returns the notes in file order, with the reasons given for
// the same line joined.
func (c *converter) sortedNotes() []Line {
	order := func(name string) int { return slices.Index(c.names, name) }
	notes := slices.Clone(c.notes)
	slices.SortStableFunc(notes, func(a, b Line) int {
		if d := order(a.File) - order(b.File); d != 0 {
			return d
		}
		return a.N - b.N
	})
	var out []Line
	for _, n := range notes {
		if k := len(out) - 1; k >= 0 && out[k].File == n.File && out[k].N == n.N {
			if !strings.Contains(out[k].Why, n.Why) {
				out[k].Why += "; " + n.Why
			}
			continue
		}
		out = append(out, n)
	}
	return out
}

// lookup resolves a name in an expression: a Ruby local, a Capistrano
// variable set earlier, or one of Capistrano's derived paths.
func (c *converter) lookup(name string, line int) value {
	v, ok := c.locals[name]
	if !ok {
		v, ok = c.vars[name]
	}
	if ok {
		if v.kind == vBad {
			return bad(line, "%s was not translated (%s)", name, v.why)
		}
		v.line = line
		return v
	}
	switch name {
	case "deploy_to":
		app, ok := c.vars["application"].text()
		if !ok {
			return bad(line, "%s", unknownWhy("application"))
		}
		if c.cap3 {
			return value{kind: vString, s: "/var/www/" + app, line: line}
		}
		return value{kind: vString, s: "/u/apps/" + app, line: line}
	case "shared_path", "current_path", "releases_path":
		v := c.lookup("deploy_to", line)
		if v.kind == vString {
			v.s += "/" + strings.TrimSuffix(name, "_path")
		}
		return v
	case "release_path", "latest_release", "current_release", "release_name", "release_timestamp", "revision", "real_revision":
		return bad(line, "%s changes with every deploy", name)
	}
	return bad(line, "%s", unknownWhy(name))
}

// fsState tracks files read from disk.
type fsState struct {
	base      string          // directory loads resolve from: the first file's
	loaded    map[string]bool // absolute paths read
	loading   []string        // absolute paths being read, for cycles
	pending   []string        // files still to read, in order
	explicit  []string        // files named by the caller
	stage     string          // the stage file read, if any
	setup     *Line           // the line requiring capistrano/setup or multistage
	setupDir  string          // the directory of the file that required it
	multi     bool            // Capistrano 2 multistage rather than 3
	project   bool            // ConvertProject: a stage must be chosen
	wantStage string          // the stage asked for
	stages    []string        // the project's stages
	stageFile [2]string       // the stage and its file, once chosen
	err       error           // a project that cannot be converted
}

// maxFiles bounds how many files one conversion reads.
const maxFiles = 64

// files translates the named files and the ones Capistrano would read after them.
func (c *converter) files(paths []string) error {
	c.base = filepath.Dir(paths[0])
	c.pending = slices.Clone(paths)
	c.explicit = slices.Clone(paths)
	for len(c.pending) > 0 || c.chooseStage() {
		if c.err != nil {
			return c.err
		}
		p := c.pending[0]
		c.pending = c.pending[1:]
		if err := c.readFile(p); err != nil {
			return err
		}
	}
	return c.err
}

// readFile translates the file at path.
func (c *converter) readFile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("convert %s: %w", path, err)
	}
	if c.loaded[abs] {
		return nil
	}
	if len(c.loaded) >= maxFiles {
		return fmt.Errorf("convert %s: more than %d files", path, maxFiles)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	c.loaded[abs] = true
	c.loading = append(c.loading, abs)
	defer func() { c.loading = c.loading[:len(c.loading)-1] }()
	if c.stageFile[1] == path {
		c.stage = c.stageFile[0]
		c.vars["stage"] = value{kind: vSymbol, s: c.stage}
	} else if stage, ok := stageOf(path); ok {
		c.stage = stage
		c.vars["stage"] = value{kind: vSymbol, s: stage}
	}
	return c.source(path, data, filepath.Dir(path))
}

// stageOf recognises config/deploy/STAGE.rb.
func stageOf(path string) (string, bool) {
	dir := filepath.Dir(path)
	if filepath.Base(dir) != "deploy" || filepath.Base(filepath.Dir(dir)) != "config" || filepath.Ext(path) != ".rb" {
		return "", false
	}
	return strings.TrimSuffix(filepath.Base(path), ".rb"), true
}
