package capfile

import (
	"bytes"
	"errors"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/murderfleet/murder/roles"
)

// probe checks one value as murder.yaml would: inside an otherwise
// minimal configuration given to roles.Parse. It returns the complaint.
func probe(sectionName, key string, v *yaml.Node) string {
	doc := mapNode()
	if sectionName != "ssh" {
		sec := mapNode()
		add(sec, key, v)
		add(doc, sectionName, sec)
	}
	roleList := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{strNode("probe")}}
	rolesMap := mapNode()
	add(rolesMap, "app", roleList)
	add(doc, "roles", rolesMap)
	if sectionName == "ssh" {
		ssh := mapNode()
		add(ssh, key, v)
		add(doc, "ssh", ssh)
	}
	err := check(doc, nil)
	var es roles.Errors
	if errors.As(err, &es) && len(es) > 0 {
		return es[0].Msg
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// check parses doc with roles.Parse. Placeholders stand in for what
// roles would otherwise take from the environment ($USER, $HOME, ${X}).
// The set: keys in skip are left out: roles does not know them yet.
func check(doc *yaml.Node, skip map[string]bool) error {
	full := *placeholders(doc, skip)
	var ssh *yaml.Node
	for i := 0; i+1 < len(full.Content); i += 2 {
		if full.Content[i].Value == "ssh" {
			clone := *full.Content[i+1]
			clone.Content = append([]*yaml.Node(nil), clone.Content...)
			ssh, full.Content[i+1] = &clone, &clone
		}
	}
	if ssh == nil {
		ssh = mapNode()
		add(&full, "ssh", ssh)
	}
	for _, kv := range [][2]string{{"user", "murder"}, {"known_hosts", "/dev/null"}} {
		if !hasKey(ssh, kv[0]) {
			add(ssh, kv[0], strNode(kv[1]))
		}
	}
	text, err := marshal(&full)
	if err != nil {
		return err
	}
	_, err = roles.Parse(bytes.NewReader(text), "murder.yaml")
	return err
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// placeholders copies doc with each ${X} replaced by what it would
// expand to at worst (its default, else a name-like placeholder) and the
// set: keys in skip removed.
func placeholders(n *yaml.Node, skip map[string]bool) *yaml.Node {
	c := *n
	if c.Kind == yaml.ScalarNode {
		c.Value = envRef.ReplaceAllStringFunc(c.Value, func(m string) string {
			sub := envRef.FindStringSubmatch(m)
			if sub[2] != "" {
				return sub[3]
			}
			return "env-" + strings.ToLower(strings.ReplaceAll(sub[1], "_", "-"))
		})
		return &c
	}
	c.Content = nil
	isHost := n.Kind == yaml.MappingNode && hasKey(n, "host")
	for i := 0; i < len(n.Content); i++ {
		k := n.Content[i]
		if isHost && hostPending[k.Value] && i%2 == 0 {
			i++
			continue
		}
		if n.Kind == yaml.MappingNode && k.Value == "set" && i+1 < len(n.Content) {
			set := placeholders(n.Content[i+1], nil)
			set.Content = nil
			for j := 0; j+1 < len(n.Content[i+1].Content); j += 2 {
				if e := n.Content[i+1].Content; !skip[e[j].Value] {
					set.Content = append(set.Content, placeholders(e[j], nil), placeholders(e[j+1], nil))
				}
			}
			c.Content = append(c.Content, k, set)
			i++
			continue
		}
		c.Content = append(c.Content, placeholders(k, skip))
	}
	return &c
}

// hostPending are the per-host keys roles does not know yet.
var hostPending = map[string]bool{"primary": true, "properties": true}

// envRef matches ${X} and ${X:-default}, but not $${X}.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)
