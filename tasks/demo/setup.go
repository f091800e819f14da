package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks/murder"
)

// setup writes the sample directory and the fleet's murder.yaml.
func (d *run) setup() error {
	d.sample = filepath.Join(d.o.Dir, "sample")
	if err := writeSample(d.sample); err != nil {
		return fmt.Errorf("writing the sample: %w", err)
	}
	port, err := freePort(d.hosts[0].IP)
	if err != nil {
		return err
	}
	path := filepath.Join(d.o.Dir, "murder.yaml")
	if err := os.WriteFile(path, []byte(d.config(port)), 0o644); err != nil {
		return err
	}
	if d.cfg, err = roles.Load(path); err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	bin := filepath.Join(d.o.Dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	d.agents = &murder.GoBuilder{Dir: bin, Local: true}
	for _, h := range d.hosts {
		if err := os.MkdirAll(filepath.Join(h.Dir, "tmp"), 0o755); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(d.o.Dir, "local"), 0o755)
}

// config is the demo's murder.yaml: the first host is the tracker, the
// second the seeder, the rest peers; every host keeps its files in its own
// directory through per-host variables.
func (d *run) config(trackerPort int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "set:\n  tracker_port: %d\n  default_temp_path: %s\n", trackerPort, filepath.Join(d.o.Dir, "local"))
	fmt.Fprintf(&b, "ssh:\n  user: %s\n  identity_files: [%q]\n  known_hosts: %q\n  host_key_checking: strict\n  max_hosts: 4\n",
		currentUser(), d.fleet.IdentityPath(), d.fleet.KnownHostsPath())
	b.WriteString("roles:\n")
	for i, h := range d.hosts {
		switch i {
		case 0:
			b.WriteString("  tracker:\n")
		case 1:
			b.WriteString("  seeder:\n")
		case 2:
			b.WriteString("  peer:\n")
		}
		fmt.Fprintf(&b, "    - host: %s\n      port: %d\n      set:\n", h.IP, h.Port)
		fmt.Fprintf(&b, "        remote_murder_path: %q\n        default_temp_path: %q\n        default_destination_path: %q\n",
			filepath.Join(h.Dir, "murder"), filepath.Join(h.Dir, "tmp"), filepath.Join(h.Dir, "dest"))
	}
	return b.String()
}

// writeSample makes a small release: text, an executable, a few MB of
// data, nested and empty directories, a symlink, and a .git directory
// that create_torrent leaves out.
func writeSample(dir string) error {
	files := map[string]string{
		"README.txt":               "Deployed by murder.\n",
		"bin/start.sh":             "#!/bin/sh\necho started\n",
		"config/app.yml":           "workers: 4\n",
		"lib/deep/er/module.txt":   "nested\n",
		".git/HEAD":                "ref: refs/heads/main\n",
		"name with spaces 'q'.txt": "quoting is handled\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(dir, "bin/start.sh"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "log"), 0o750); err != nil {
		return err
	}
	if err := os.Symlink("README.txt", filepath.Join(dir, "current-readme")); err != nil {
		return err
	}
	return randomFile(filepath.Join(dir, "assets.bin"), 8<<20)
}
