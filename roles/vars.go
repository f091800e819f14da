package roles

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Vars are the variables of Capistrano's `set :name, value`, typed, with
// defaults applied. Get them from Config.Vars or Config.Global.
type Vars struct {
	Application            string   `var:"application"`               // default ""
	DeployTo               string   `var:"deploy_to"`                 // default "/u/apps/<application>"
	RemoteMurderPath       string   `var:"remote_murder_path"`        // default "<deploy_to>/shared/murder"
	DefaultTempPath        string   `var:"default_temp_path"`         // default "/tmp"
	TrackerPort            int      `var:"tracker_port"`              // default 8998
	DefaultTag             string   `var:"default_tag"`               // default ""
	DefaultSeederFilesPath string   `var:"default_seeder_files_path"` // default ""
	DefaultDestinationPath string   `var:"default_destination_path"`  // default ""
	Repository             string   `var:"repository"`                // default ""
	Branch                 string   `var:"branch"`                    // default "HEAD"
	CopyExclude            []string `var:"copy_exclude"`              // default empty
	KeepReleases           int      `var:"keep_releases"`             // default 5
	RestartCommand         string   `var:"restart_command"`           // default ""
	DeployVia              string   `var:"deploy_via"`                // "murder" (default) or "copy"
	LinkedFiles            []string `var:"linked_files"`              // default empty; paths under shared/
	LinkedDirs             []string `var:"linked_dirs"`               // default empty; paths under shared/
}

// varField maps each variable name to its field in Vars; varNames lists
// them in declaration order for messages.
var varField, varNames = func() (map[string]int, []string) {
	m := map[string]int{}
	var names []string
	t := reflect.TypeFor[Vars]()
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("var")
		m[name] = i
		names = append(names, name)
	}
	return m, names
}()

// VarNames lists the known variable names, in a stable order.
func VarNames() []string { return slices.Clone(varNames) }

// setting is one variable value set in the file, with its line.
type setting struct {
	val  any // string, int or []string, already validated
	line int
}

// layer is a set of variables set at one level: global or one host.
type layer map[string]setting

// defaults are the Capistrano/Murder defaults that do not depend on other variables.
func defaults() Vars {
	return Vars{
		DefaultTempPath: "/tmp",
		TrackerPort:     8998,
		Branch:          "HEAD",
		CopyExclude:     []string{},
		KeepReleases:    5,
		DeployVia:       "murder",
	}
}

// effective computes the variables of one level: defaults, then each layer
// in turn, then the defaults derived from other variables, which therefore
// see per-host values.
func effective(layers ...layer) Vars {
	v := defaults()
	rv := reflect.ValueOf(&v).Elem()
	isSet := func(name string) bool {
		return slices.ContainsFunc(layers, func(l layer) bool { _, ok := l[name]; return ok })
	}
	for _, l := range layers {
		for name, s := range l {
			i, typed := varField[name]
			if !typed {
				continue // a variable declared by the user's tasks: see Config.Var
			}
			val := s.val
			if list, ok := val.([]string); ok {
				val = slices.Clone(list) // callers may not alias the config
			}
			rv.Field(i).Set(reflect.ValueOf(val))
		}
	}
	if !isSet("deploy_to") {
		v.DeployTo = path.Join("/u/apps", v.Application)
	}
	if !isSet("remote_murder_path") {
		v.RemoteMurderPath = path.Join(v.DeployTo, "shared", "murder")
	}
	return v
}

// decodeSet reads a `set:` mapping (global or per host) into a layer.
func (d *decoder) decodeSet(n *yaml.Node, where string) layer {
	l := layer{}
	entries, _ := d.mapping(n, where)
	for _, e := range entries {
		w := where + "." + e.key
		i, known := varField[e.key]
		if _, declared := d.declared[e.key]; !known && declared {
			if val, ok := d.str(e.v, w); ok {
				l[e.key] = setting{val: val, line: e.k.Line}
			}
			continue
		}
		if !known {
			d.errorf(e.k, where, "unknown variable %q%s", e.key, suggest(e.key, d.varNames()))
			continue
		}
		var val any
		var ok bool
		switch reflect.TypeFor[Vars]().Field(i).Type.Kind() {
		case reflect.Int:
			val, ok = d.integer(e.v, w)
		case reflect.Slice:
			val, ok = d.strList(e.v, w)
		default:
			val, ok = d.str(e.v, w)
		}
		if !ok {
			continue
		}
		val, err := checkVar(e.key, val)
		if err != nil {
			d.errorf(d.node(e.v), w, "%v", err)
			continue
		}
		l[e.key] = setting{val: val, line: e.k.Line}
	}
	return l
}

// checkVar validates one variable value where it is written and returns it
// normalised (remote paths cleaned). Derived defaults are built only from
// values that passed here, so they need no check of their own.
func checkVar(name string, val any) (any, error) {
	switch v := val.(type) {
	case int:
		return checkIntVar(name, v)
	case []string:
		for i, s := range v {
			if s == "" || strings.ContainsFunc(s, isControl) {
				return nil, fmt.Errorf("item %d: %q must be non-empty, without control characters", i, s)
			}
			if name == "linked_files" || name == "linked_dirs" {
				if err := sharedPath(s); err != nil {
					return nil, fmt.Errorf("item %d: %w", i, err)
				}
			}
		}
		return v, nil
	case string:
		return checkStringVar(name, v)
	}
	return nil, fmt.Errorf("unexpected value %v", val)
}

func checkIntVar(name string, v int) (any, error) {
	switch name {
	case "tracker_port":
		return v, checkPort(v)
	case "keep_releases":
		if v < 1 {
			return nil, fmt.Errorf("must be at least 1, got %d", v)
		}
	}
	return v, nil
}

func checkStringVar(name, v string) (any, error) {
	if strings.ContainsRune(v, 0) || name != "restart_command" && strings.ContainsFunc(v, isControl) {
		return nil, fmt.Errorf("%q contains control characters", v)
	}
	switch name {
	case "deploy_to", "default_temp_path":
		return remotePath(v)
	case "remote_murder_path":
		// distribute_files empties this directory: never let it be "/".
		p, err := remotePath(v)
		if err == nil && p == "/" {
			return nil, fmt.Errorf("%q would make distribute_files empty the root directory", v)
		}
		return p, err
	case "default_destination_path":
		if v == "" {
			return v, nil
		}
		return remotePath(v)
	case "application":
		if strings.Contains(v, "/") || v == "." || v == ".." {
			return nil, fmt.Errorf("%q must not contain '/' nor be . or .. (it names a directory under /u/apps)", v)
		}
	case "default_tag":
		if strings.Contains(v, "/") {
			return nil, fmt.Errorf("tag cannot contain a / character: %q", v)
		}
		if v == "." || v == ".." {
			return nil, fmt.Errorf("tag %q would name the destination directory itself", v)
		}
	case "branch":
		if v == "" || strings.HasPrefix(v, "-") || strings.ContainsFunc(v, isSpace) {
			return nil, fmt.Errorf("%q must be non-empty, without spaces, and not start with '-'", v)
		}
	case "deploy_via":
		if v != "murder" && v != "copy" {
			return nil, fmt.Errorf("%q not supported (allowed: murder, copy)", v)
		}
	}
	return v, nil
}

// remotePath checks that a remote path is absolute and cleans it. "~" is
// refused: it would expand on the remote side only, if at all.
func remotePath(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%q must be an absolute path (~ and relative paths are not expanded on remote hosts)", p)
	}
	return path.Clean(p), nil
}

// sharedPath checks a linked_files or linked_dirs entry: a path relative
// to shared/ (and to each release) that cannot climb out of either.
func sharedPath(p string) error {
	if path.IsAbs(p) || p != path.Clean(p) || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("%q must be a clean relative path inside shared/ (no leading /, no ..)", p)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isSpace(r rune) bool { return r == ' ' || isControl(r) }

// Global returns the variables without any per-host override.
func (c *Config) Global() Vars { return effective(c.global) }

// Vars returns the effective variables of h: defaults, global values, h's
// own overrides, then derived defaults computed from those. A nil h gives Global.
func (c *Config) Vars(h *Host) Vars {
	if h == nil {
		return c.Global()
	}
	return effective(c.global, h.set)
}

// Var returns variable name for h (nil: the global value) as text: a
// murder variable (lists joined with commas), or one declared by the
// user's tasks (Options.Vars), whose default applies when murder.yaml
// does not set it. ok is false for a name neither knows.
func (c *Config) Var(h *Host, name string) (value string, ok bool) {
	if i, typed := varField[name]; typed {
		f := reflect.ValueOf(c.Vars(h)).Field(i)
		if f.Kind() == reflect.Slice {
			return strings.Join(f.Interface().([]string), ","), true
		}
		return fmt.Sprint(f.Interface()), true
	}
	def, declared := c.declared[name]
	if !declared {
		return "", false
	}
	if h != nil {
		if s, set := h.set[name]; set {
			return s.val.(string), true
		}
	}
	if s, set := c.global[name]; set {
		return s.val.(string), true
	}
	return def, true
}
