// Package roles reads murder.yaml, the deploy configuration: servers grouped
// into roles, SSH settings, Capistrano-style variables and task hooks.
//
// It keeps Capistrano's and Murder's conventions so that a Capfile
// translates line by line: `set :name, value` becomes an entry under set:,
// `role :app, "w01", "w02"` a list under roles:, and Murder's own roles
// default as the original did — peer is every server that receives
// releases, tracker and seeder the first peer.
//
// All checks happen while parsing, and every problem is reported with its
// file and line, so that later layers can trust a *Config. A *Config is not
// modified after Parse and may be read from several goroutines.
package roles

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultFile is the configuration file looked for in the working directory.
const DefaultFile = "murder.yaml"

// EnvConfig names the environment variable that points at the configuration.
const EnvConfig = "MURDER_CONFIG"

// maxFileSize refuses absurd inputs before YAML parsing spends memory on them.
const maxFileSize = 16 << 20

// Config is a parsed, validated murder.yaml.
type Config struct {
	Path  string             // file it was read from, as given
	Roles map[string][]*Host // role -> servers, with peer, tracker and seeder always present
	Order []string           // roles in declaration order, then any defaulted peer, tracker, seeder
	SSH   SSH
	Hooks Hooks

	global   layer             // variables under the top-level set:
	hosts    []*Host           // every host, in order of first declaration
	declared map[string]string // the user's variables and their defaults
	primary  map[string]*Host  // role -> first server declared primary: true
}

// Options adjust how a configuration is read.
type Options struct {
	// Vars are variables declared by the user's own tasks, with their
	// defaults: set: accepts them (as strings) besides murder's own.
	Vars map[string]string
}

var topKeys = []string{"set", "roles", "ssh", "hooks"}

// Find locates the configuration: the explicit path if non-empty, else
// $MURDER_CONFIG, else ./murder.yaml. The chosen file must exist.
func Find(explicit string) (string, error) {
	if explicit != "" {
		return existing(explicit, "given explicitly")
	}
	if env := os.Getenv(EnvConfig); env != "" {
		return existing(env, "from $"+EnvConfig)
	}
	if _, err := os.Stat(DefaultFile); err == nil {
		return DefaultFile, nil
	}
	wd, _ := os.Getwd()
	return "", fmt.Errorf("no configuration found: looked for %s in %s and $%s is not set (copy murder.yaml.example to start)",
		DefaultFile, wd, EnvConfig)
}

// existing checks that a configuration file named by the user is there.
func existing(path, how string) (string, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("configuration %s (%s) does not exist", path, how)
	case err != nil:
		return "", fmt.Errorf("configuration %s (%s): %w", path, how, err)
	case fi.IsDir():
		return "", fmt.Errorf("configuration %s (%s) is a directory", path, how)
	}
	return path, nil
}

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) { return Options{}.Load(path) }

// Parse reads and validates a configuration; name prefixes error messages.
// Configuration problems are returned as Errors, all of them at once.
func Parse(r io.Reader, name string) (*Config, error) { return Options{}.Parse(r, name) }

// Load reads and validates the configuration file at path.
func (o Options) Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	defer f.Close()
	return o.Parse(f, path)
}

// Parse reads and validates a configuration; name prefixes error messages.
func (o Options) Parse(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, Errors{{File: name, Msg: "larger than 16 MiB: not a murder configuration"}}
	}
	root, err := parseYAML(data, name)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: name, budget: nodeBudget, declared: o.Vars}
	c := d.decodeConfig(root)
	if len(d.errs) > 0 {
		located := d.errs[:min(len(d.errs), maxErrors)] // "too many errors" stays last
		slices.SortStableFunc(located, func(a, b *Error) int { return a.Line - b.Line })
		return nil, d.errs
	}
	c.Path = name
	return c, nil
}

// yamlLine picks the line out of yaml.v3's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses exactly one YAML document and returns its root node.
func parseYAML(data []byte, name string) (*yaml.Node, error) {
	empty := Errors{{File: name, Msg: "empty configuration: declare at least one role under roles:"}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, empty
	} else if err != nil {
		return nil, yamlError(err, name)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: name, Line: extra.Line, Msg: "more than one YAML document (---): put everything in one"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err, name)
	}
	if len(doc.Content) != 1 || isNull(doc.Content[0]) {
		return nil, empty
	}
	return doc.Content[0], nil
}

// yamlError locates a yaml.v3 syntax error. yaml.v3 (v3.0.1) reports the
// 0-based line for errors raised with a parser context, which all read
// "did not find expected ..." or "found a tab character ...": shift those
// so that the line printed is the offending one.
func yamlError(err error, name string) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		if strings.HasPrefix(m[2], "did not find expected") || strings.HasPrefix(m[2], "found a tab character") {
			line++
		}
		return Errors{{File: name, Line: line, Msg: m[2]}}
	}
	return Errors{{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}}
}

// decodeConfig decodes the top level. Sections are read in dependency order
// (ssh defaults are needed by servers), not file order.
func (d *decoder) decodeConfig(root *yaml.Node) *Config {
	root = d.node(root)
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "", "top level must be a mapping with keys %v, got %s", topKeys, describe(root))
		return nil
	}
	sections := map[string]*yaml.Node{}
	for _, e := range d.entries(root, "") {
		if strings.HasPrefix(e.key, "x-") {
			continue // room for YAML anchors, as in docker compose
		}
		if !slices.Contains(topKeys, e.key) {
			d.errorf(e.k, "", "unknown key %q%s", e.key, suggest(e.key, topKeys))
			continue
		}
		sections[e.key] = e.v
	}
	section := func(key string) *yaml.Node {
		if n := sections[key]; n != nil {
			return n
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	c := &Config{Roles: map[string][]*Host{}, declared: d.declared, primary: map[string]*Host{}}
	c.SSH = d.decodeSSH(section("ssh"))
	c.global = d.decodeSet(section("set"), "set")
	d.decodeRoles(section("roles"), c)
	c.Hooks = d.decodeHooks(section("hooks"))
	return c
}

// Tracker is the host running the tracker (the tracker role has exactly one).
func (c *Config) Tracker() *Host { return c.Roles[RoleTracker][0] }

// Primary is the role's primary server, as Capistrano's
// roles(:db).primary: the first one declared with primary: true, else the
// role's first server; nil for an unknown role.
func (c *Config) Primary(role string) *Host {
	if h := c.primary[role]; h != nil {
		return h
	}
	if hs := c.Roles[role]; len(hs) > 0 {
		return hs[0]
	}
	return nil
}

// Seeder is the host holding the files to distribute (the seeder role has exactly one).
func (c *Config) Seeder() *Host { return c.Roles[RoleSeeder][0] }
