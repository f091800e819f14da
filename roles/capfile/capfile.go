// Package capfile translates a Capistrano 2 or 3 configuration — a
// Capfile, config/deploy.rb, a stage file such as config/deploy/production.rb,
// with or without Murder's recipes — into murder.yaml.
//
// Capistrano configurations are Ruby programs, but nearly all of their
// lines are declarations: `role :app, "w01"`, `set :user, "deploy"`,
// `server 'w01', roles: %w{app web}`, `before 'a', 'b'`. The translator
// recognises those line by line with a small Ruby tokenizer that
// evaluates literals (strings with #{} interpolation of variables set
// earlier, symbols, numbers, %w lists, arrays and hashes) and nothing
// else; ENV['X'] || 'd' and ENV.fetch('X', 'd') become murder.yaml's
// ${X:-d}, expanded when murder loads the file. Every line it cannot
// translate — conditionals, loops, options murder does not have — is
// returned with its line number and the reason, and listed in the
// generated file's header, so nothing is dropped silently. The result is
// checked with roles.Parse before it is returned.
//
// ConvertProject reads a whole project for one stage, as `cap STAGE
// deploy` does, and also translates the Ruby tasks and their hooks into a
// Go file of mage targets written against murder's tasks DSL (see
// README.md in this directory).
package capfile

import (
	"fmt"
	"io"
)

// Line is a line that was not translated, or only partly.
type Line struct {
	File string // file it is in, as given (or as found, for loaded files)
	N    int    // 1-based line number; the first line of a multi-line statement
	Text string // the source line, trimmed
	Why  string // why it was not translated; "lines N-M: ..." for a multi-line statement
}

// String formats the line as file:N: text: why.
func (l Line) String() string { return fmt.Sprintf("%s:%d: %s: %s", l.File, l.N, l.Text, l.Why) }

// Options tune the translation. The zero value is ready to use.
type Options struct {
	// Tasks names the tasks murder has. When non-nil, a hook naming any
	// other task is not translated, since murder would never run it (or
	// refuse to). Names compare as murder's task lookup does: ignoring
	// case and underscores, "deploy" meaning "deploy:default".
	Tasks []string
}

// maxFileSize refuses inputs that cannot be Capistrano configurations.
const maxFileSize = 4 << 20

// Convert translates one Capistrano file read from r; name is used in
// messages and the generated header. Files it loads are not read: they
// are listed as untranslated. See Options.Convert.
func Convert(r io.Reader, name string) (yamlText []byte, untranslated []Line, err error) {
	return Options{}.Convert(r, name)
}

// ConvertFile translates the Capistrano file at path and the files it
// loads. See Options.ConvertFiles.
func ConvertFile(path string) (yamlText []byte, untranslated []Line, err error) {
	return Options{}.ConvertFiles(path)
}

// Convert translates one Capistrano file read from r. It returns the
// murder.yaml text and the lines not translated, in file order. An error
// means there is no usable murder.yaml: unreadable or non-UTF-8 input,
// no server in any role, or a result roles.Parse refuses (for instance
// when every server is marked no_release); untranslated is still
// returned then, to show what was found.
func (o Options) Convert(r io.Reader, name string) (yamlText []byte, untranslated []Line, err error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	c := newConverter(o, false)
	if err := c.source(name, data, ""); err != nil {
		return nil, nil, err
	}
	return c.finish()
}

// ConvertFiles translates Capistrano files read in the order Capistrano
// reads them (for example Capfile, then config/deploy/production.rb), as
// one configuration. It follows `load`, `require_relative` and relative
// `require` of files that exist, resolved as Capistrano does from the
// first file's directory. After a Capfile requiring capistrano/setup
// (Capistrano 3) it also reads config/deploy.rb and, when no stage file is
// given, the only config/deploy/STAGE.rb; after capistrano/ext/multistage
// (Capistrano 2) the :default_stage's file. Results are as for Convert.
func (o Options) ConvertFiles(paths ...string) (yamlText []byte, untranslated []Line, err error) {
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("convert: no file given")
	}
	c := newConverter(o, true)
	if err := c.files(paths); err != nil {
		return nil, c.sortedNotes(), err // what was found so far, to print with the error
	}
	return c.finish()
}
