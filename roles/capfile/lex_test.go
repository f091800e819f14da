package capfile

import (
	"fmt"
	"strings"
	"testing"
)

// scopeMap is a scope for evaluating expressions in tests.
type scopeMap map[string]value

func (s scopeMap) lookup(name string, line int) value {
	if v, ok := s[name]; ok {
		return v
	}
	return bad(line, "%s", unknownWhy(name))
}

// render prints an evaluated value compactly, or "bad: why".
func render(v value) string {
	switch v.kind {
	case vBad:
		return "bad: " + v.why
	case vArray:
		var items []string
		for _, it := range v.list {
			items = append(items, render(it))
		}
		return "[" + strings.Join(items, " ") + "]"
	case vHash:
		var items []string
		for _, p := range v.pairs {
			items = append(items, render(p.key)+"=>"+render(p.val))
		}
		return "{" + strings.Join(items, " ") + "}"
	}
	return v.describe()
}

func TestEvaluate(t *testing.T) {
	sc := scopeMap{"application": {kind: vString, s: "shop"}, "port": {kind: vInt, n: 22}}
	tests := []struct{ src, want string }{
		{`"a\tb\"c\\"`, `"a\tb\"c\\"`},
		{`'it\'s \n #{x}'`, `"it's \\n #{x}"`},
		{`"a" 'b' "c"`, `"abc"`},
		{`"\u00e9\x41\101\e\s\u{1F600 41}"`, `"éAA\x1b 😀A"`},
		{`"/u/apps/#{application}:#{port}"`, `"/u/apps/shop:22"`},
		{`"#{fetch(:application)}-#{fetch :nope, 'x'}"`, `"shop-x"`},
		{`"#@application"`, "bad: interpolates #{@application}: @application is not set before this line"},
		{`"#{nope}"`, "bad: interpolates #{nope}: nope is not set before this line"},
		{`"#{application.upcase}"`, "bad: interpolates Ruby code #{application.upcase}: murder interpolates only variables set earlier"},
		{`:app`, `:app`},
		{`:"my role"`, `:my role`},
		{`:'x-#{y}'`, `:x-#{y}`},
		{`%w(a b  c)`, `["a" "b" "c"]`},
		{`%w[a\ b c\]]`, `["a b" "c]"]`},
		{`%w{nested {x} y}`, `["nested" "{x}" "y"]`},
		{`%W(#{application}-1 y)`, `["shop-1" "y"]`},
		{`%i(app web)`, `[:app :web]`},
		{"%w(\n  a\n  b\n)", `["a" "b"]`},
		{`%q(a (nested) b)`, `"a (nested) b"`},
		{`%Q|#{application}|`, `"shop"`},
		{`%(x)`, `"x"`},
		{`[1, 0x1F, 1_000, -5, 017, 2.5,]`, `[1 31 1000 -5 15 2.5]`},
		{`{ keys: %w(a), :port => 22, "user" => 'x', "k": true }`, `{:keys=>["a"] :port=>22 "user"=>"x" :k=>true}`},
		{`[[1], {}]`, `[[1] {}]`},
		{`nil`, `nil`},
		{`ENV['X'] || 'y'`, `"${X:-y}"`},
		{`ENV.fetch('X', 'y')`, `"${X:-y}"`},
		{`ENV['X']`, `"${X}"`},
		{`ENV[x]`, "bad: reads an environment variable (ENV) in a way murder.yaml's ${X} cannot express"},
		{"`hostname`", "bad: runs a shell command `hostname` when cap runs"},
		{`-> { 1 }`, "1"},
		{`-> { Time.now }`, "bad: lazy value (lambda): murder.yaml needs the value itself"},
		{`proc { 1 }`, "1"},
		{`/re/`, "bad: regular expression `/re/`"},
		{`"a" + "b"`, "bad: Ruby expression `\"a\" + \"b\"`"},
		{`File.join("a", "b")`, "bad: Ruby expression `File.join(\"a\", \"b\")`"},
		{`rand(3)`, "bad: Ruby expression `rand(3)`"},
		{`rand 3`, "bad: Ruby expression `rand 3`"},
		{`"unterminated`, "bad: unterminated literal: Ruby would refuse this file"},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), "bad: nested too deeply"},
	}
	for _, tt := range tests {
		p := &parser{sc: sc, toks: dropNewlines(lex(tt.src))}
		got := p.expr()
		if !p.done() {
			got = bad(0, "trailing tokens")
		}
		if r := render(got); r != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.src, r, tt.want)
		}
	}
}

func TestHeredoc(t *testing.T) {
	src := "desc <<-DESC\n  Tail #{x}.\n  DESC\nx = <<~'EOS'\n    a\n      b\n    EOS\ny = 1\n"
	toks := lex(src)
	var strs []string
	for _, tk := range toks {
		if tk.kind == kString {
			strs = append(strs, fmt.Sprintf("%d-%d %q", tk.line, tk.endLine, joinLits(tk.parts)))
		}
	}
	want := []string{`1-3 "  Tail #{x}.\n"`, `4-7 "a\n  b\n"`}
	if fmt.Sprint(strs) != fmt.Sprint(want) {
		t.Errorf("heredocs:\n got %q\nwant %q", strs, want)
	}
	if got := ranges(split(toks)); got != "1-3 4-7 8-8" {
		t.Errorf("statements %s, want 1-3 4-7 8-8", got)
	}
}

func ranges(sts []stmt) string {
	var out []string
	for _, st := range sts {
		out = append(out, fmt.Sprintf("%d-%d", st.first, st.last))
	}
	return strings.Join(out, " ")
}

func TestSplit(t *testing.T) {
	tests := []struct{ src, want string }{
		{"a\nb", "1-1 2-2"},
		{"set :x, [\n 1,\n 2\n]\nset :y, 1", "1-4 5-5"},
		{"set :ssh_options, keys: %w(a),\n  user: 'x'\nz", "1-2 3-3"},
		{"task :x do\n  run 'a'\nend\nfoo", "1-3 4-4"},
		{"task :x do |t|\n  if y\n    z\n  end\nend", "1-5"},
		{"x = 1 if y\nz", "1-1 2-2"},
		{"if y\n a\nend\nb", "1-3 4-4"},
		{"x = if y then 1 else 2 end\nz", "1-1 2-2"},
		{"while x do\n y\nend", "1-3"},
		{"foo.\n bar\nz", "1-2 3-3"},
		{"foo\n  .bar\nz", "1-2 3-3"},
		{"a; b;; c", "1-1 1-1 1-1"},
		{"x.class\ny.end\nz", "1-1 2-2 3-3"},
		{"h = {:class => 1, end: 2}\nz", "1-1 2-2"},
		{"=begin\nrole :a, 'x'\n=end\nbar", "4-4"},
		{"a\n__END__\nb\n", "1-1"},
		{"s = 'multi\nline'\nz", "1-2 3-3"},
		{"a = \"x\" \\\n  \"y\"\nz", "1-2 3-3"},
		{"role(:web) {\n 'x'\n}\nz", "1-3 4-4"},
		{"desc 'x' # comment with 'quote\ntask :a do end", "1-1 2-2"},
		{"class << self\n def x; end\nend\nz", "1-3 4-4"},
		{"unterminated do\nx\n", "1-2"},
	}
	for _, tt := range tests {
		if got := ranges(split(lex(tt.src))); got != tt.want {
			t.Errorf("%q: statements %s, want %s", tt.src, got, tt.want)
		}
	}
}

func TestCut(t *testing.T) {
	tests := []struct{ src, head, body string }{
		{"namespace :deploy do\n  task :a do end\nend", "namespace :deploy", "task :a do end"},
		{"task :x do |t, args|\n run 'y'\nend", "task :x", "run 'y'"},
		{"role(:web) { 'x' }", "role(:web)", "'x'"},
		{"set :x, { a: 1 }", "set :x, { a: 1 }", ""},
		{"set :x, proc { 1 }", "set :x, proc { 1 }", ""},
		{"Dir['x'].each { |r| load r }", "Dir['x'].each", "load r"},
	}
	for _, tt := range tests {
		b := cut(split(lex(tt.src))[0])
		if h, bd := snippet(b.head), snippet(dropNewlines(b.body)); h != "`"+tt.head+"`" || bd != "`"+tt.body+"`" {
			t.Errorf("%q: head %s body %s, want `%s` `%s`", tt.src, h, bd, tt.head, tt.body)
		}
	}
}
