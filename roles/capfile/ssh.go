package capfile

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// sshSet records a key of murder.yaml's ssh: section from value v,
// checked as murder.yaml would check it.
func (c *converter) sshSet(at Line, key string, v value) string {
	return c.sshPut(at, key, v, false)
}

// sshPut is sshSet; option marks values from ssh_options.
func (c *converter) sshPut(at Line, key string, v value, option bool) string {
	var node *yaml.Node
	switch key {
	case "user", "gateway", "known_hosts", "host_key_checking":
		if s, ok := v.text(); ok {
			node = strNode(s)
		} else if key == "gateway" && (v.kind == vHash || v.kind == vArray) {
			return "several gateways: murder has one (ssh.gateway), used for every server"
		}
	case "port", "max_hosts", "timeout", "keepalive":
		if v.kind == vInt {
			node = intNode(v.n)
		}
	case "identity_files":
		node = listNode(v)
	}
	if node == nil {
		return fmt.Sprintf("ssh %s: not understood: %s", key, whyOf(v))
	}
	if why := probe("ssh", key, node); why != "" {
		return fmt.Sprintf("ssh %s: %s", key, why)
	}
	c.ssh.put(entry{key: key, node: node, at: at, option: option})
	return ""
}

// sshOption translates one Net::SSH option (ssh_options[:key] = v, or a
// key of `set :ssh_options, {...}`); it returns why not, if not.
func (c *converter) sshOption(at Line, key string, v value) string {
	switch key {
	case "user", "port", "timeout":
		return c.sshPut(at, key, v, true)
	case "keys":
		return c.sshPut(at, "identity_files", v, true)
	case "keepalive_interval":
		return c.sshPut(at, "keepalive", v, true)
	case "user_known_hosts_file":
		if v.kind == vArray && len(v.list) == 1 {
			v = v.list[0]
		}
		return c.sshPut(at, "known_hosts", v, true)
	case "forward_agent":
		if v.kind == vBool && !v.b {
			return ""
		}
		return "forward_agent: murder does not forward the SSH agent (its tasks need no credentials on the servers)"
	case "keepalive":
		if v.kind == vBool && !v.b {
			return c.sshPut(at, "keepalive", value{kind: vInt, n: 0}, true)
		}
		if v.kind == vBool {
			return "" // murder sends keepalives (ssh.keepalive, 15 s by default)
		}
	case "verify_host_key", "paranoid":
		return c.hostKeyOption(at, key, v)
	case "auth_methods":
		if v.kind == vArray && len(v.list) == 1 && v.list[0].kind == vString && v.list[0].s == "publickey" {
			return ""
		}
		return "auth_methods: murder authenticates with keys only (ssh.identity_files, the ssh-agent or ~/.ssh)"
	case "proxy":
		return "proxy: murder connects through ssh.gateway (a jump host) only"
	case "keys_only":
		return "keys_only: murder offers ssh.identity_files when set, else the ssh-agent's keys"
	case "password", "passphrase":
		return "murder never uses passwords: use keys (ssh.identity_files or the ssh-agent)"
	}
	return fmt.Sprintf("ssh option :%s (%s): murder has no such setting", key, describeOrWhy(v))
}

// hostKeyOption maps Net::SSH's host key policies to murder's.
func (c *converter) hostKeyOption(at Line, key string, v value) string {
	policy := ""
	s, _ := v.text()
	switch {
	case s == "always" || s == "secure" || s == "very":
		policy = "strict"
	case s == "accept_new" || s == "accept_new_or_local_tunnel" || v.kind == vBool && v.b:
		policy = "accept-new"
	case s == "never" || v.kind == vBool && !v.b:
		return fmt.Sprintf("%s %s: murder checks host keys; set ssh.host_key_checking: off yourself if you must", key, v.describe())
	default:
		return fmt.Sprintf("%s %s not understood", key, describeOrWhy(v))
	}
	return c.sshPut(at, "host_key_checking", value{kind: vString, s: policy}, true)
}

// sshOptionsStmt translates Capistrano 2's `ssh_options[:key] = value`.
func (c *converter) sshOptionsStmt(st stmt, b block, _ string) {
	h := b.head
	if b.has || len(h) < 2 || h[1].kind != kPunct || h[1].text != "[" {
		c.untranslated(st, "ssh_options not understood: murder translates ssh_options[:key] = value")
		return
	}
	p := &parser{sc: c, toks: h[2:]}
	key := p.expr()
	k, ok := key.text()
	if !ok || !p.is("]") {
		c.untranslated(st, "ssh_options key not understood")
		return
	}
	p.pos++
	if !p.is("=") {
		c.untranslated(st, "ssh_options not understood: murder translates ssh_options[:key] = value")
		return
	}
	p.pos++
	v := p.expr()
	if !p.done() {
		v = bad(st.first, "Ruby expression %s", snippet(h[2:]))
	}
	if v.kind == vBad {
		c.untranslated(st, fmt.Sprintf("value of ssh_options[:%s] not understood: %s", k, v.why))
		return
	}
	if why := c.sshOption(c.at(st.first), k, v); why != "" {
		c.untranslated(st, why)
	}
}
