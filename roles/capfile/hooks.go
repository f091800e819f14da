package capfile

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// hookSection is hooks.before or hooks.after: task -> hooked tasks, in
// order of first appearance.
type hookSection struct {
	order []string
	tasks map[string][]hooked
}

type hooked struct {
	task string
	at   Line
}

// hook translates `before "a", "b", "c"` and `after :deploy, "x"`.
func (c *converter) hook(st stmt, b block, ns string) {
	which := b.head[0].text
	if c.gen && b.has && c.hookTask(st, b, ns) {
		return
	}
	args, opts, ok := c.call(st, b, which)
	if !ok {
		return
	}
	if len(opts.pairs) > 0 {
		c.untranslated(st, fmt.Sprintf("%s with options (%s): murder runs hooked tasks on their own roles", which, describeKeys(opts)))
		return
	}
	if len(args) < 2 {
		c.untranslated(st, which+" without a task to run: not translated")
		return
	}
	var names []string
	for _, a := range args {
		s, ok := a.text()
		if !ok {
			c.untranslated(st, "task name not understood: "+whyOf(a))
			return
		}
		if c.cap3 || a.kind == vSymbol {
			s = qualify(s, ns) // Rake resolves names in the namespace; Capistrano 2 takes them as written
		}
		names = append(names, s)
	}
	i := 0
	if which == "after" {
		i = 1
	}
	if i == 1 && canonical(names[0]) == "deploy:default" && len(names) == 2 && canonical(names[1]) == "deploy:cleanup" {
		c.info(st, "murder's deploy already cleans up old releases (keep_releases)")
		return
	}
	if i == 1 && isPublishing(names[0]) && len(names) == 2 && canonical(names[1]) == "deploy:restart" {
		// Capistrano 3's idiom for what Capistrano 2's deploy did itself.
		c.info(st, "murder's deploy already runs deploy:restart after deploy:publishing")
		return
	}
	for _, t := range names[1:] {
		if c.gen {
			c.pendingHooks = append(c.pendingHooks, pendingHook{i: i, key: names[0], task: t, at: c.at(st.first)})
			continue
		}
		if why := c.addHook(i, names[0], t, c.at(st.first)); why != "" {
			c.untranslated(st, why)
		}
	}
}

func isPublishing(name string) bool {
	switch canonical(name) {
	case "deploy:publishing", "deploy:symlink", "deploy:createsymlink":
		return true
	}
	return false
}

func describeKeys(h value) string {
	var keys []string
	for _, p := range h.pairs {
		keys = append(keys, p.key.describe())
	}
	return strings.Join(keys, ", ")
}

// addHook records task as hooked before (i=0) or after (i=1) key.
func (c *converter) addHook(i int, key, task string, at Line) string {
	which := [2]string{"before", "after"}[i]
	hs := &c.hooks[i]
	switch {
	case !c.knownTask(key):
		return fmt.Sprintf("murder has no task %s: this hook would never run", key)
	case !c.knownTask(task):
		return fmt.Sprintf("murder has no task %s to run %s %s", task, which, key)
	case canonical(key) == canonical(task):
		return fmt.Sprintf("task %s hooked to itself", task)
	}
	for _, h := range hs.tasks[key] {
		if canonical(h.task) == canonical(task) {
			return fmt.Sprintf("%s already runs %s %s (%s:%d)", task, which, key, h.at.File, h.at.N)
		}
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{strNode(task)}}
	hook := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{strNode(key), seq}}
	if why := probe("hooks", which, hook); why != "" {
		return why
	}
	if hs.tasks == nil {
		hs.tasks = map[string][]hooked{}
	}
	if _, ok := hs.tasks[key]; !ok {
		hs.order = append(hs.order, key)
	}
	hs.tasks[key] = append(hs.tasks[key], hooked{task: task, at: at})
	return ""
}

// knownTask reports whether murder has the task; every task is known
// when Options.Tasks is nil.
func (c *converter) knownTask(name string) bool {
	if c.opts.Tasks == nil {
		return true
	}
	return slices.ContainsFunc(c.opts.Tasks, func(t string) bool { return canonical(t) == canonical(name) })
}

// canonical compares task names as murder's task lookup does.
func canonical(name string) string {
	n := strings.ToLower(strings.ReplaceAll(name, "_", ""))
	if n == "deploy" {
		return "deploy:default"
	}
	return n
}

// node renders the section as murder.yaml's hooks.before or hooks.after.
func (hs *hookSection) node() *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, key := range hs.order {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, h := range hs.tasks[key] {
			n := strNode(h.task)
			n.LineComment = origin(h.at)
			seq.Content = append(seq.Content, n)
		}
		m.Content = append(m.Content, strNode(key), seq)
	}
	return m
}
