package localfleet

import (
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// session serves one "session" channel: at most one exec or sftp
// subsystem, plus signals for the command it runs.
type session struct {
	h       *host
	ch      ssh.Channel
	started bool     // an exec or subsystem was accepted
	proc    *process // the exec'd command, nil for none or sftp
}

func (h *host) serveSession(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		h.log.Printf("%s: accept session: %v", h.Name, err)
		return
	}
	s := &session{h: h, ch: ch}
	for req := range reqs {
		s.handle(req)
	}
	// reqs is closed once the client closed the channel or the connection
	// is gone: a command still running must not outlive its client.
	if s.proc != nil {
		s.proc.abort()
	}
}

func (s *session) handle(req *ssh.Request) {
	switch req.Type {
	case "exec":
		s.exec(req)
	case "subsystem":
		s.subsystem(req)
	case "signal":
		s.signal(req)
	default:
		// env, pty-req, shell, x11-req, auth-agent-req@openssh.com...:
		// refused, like a locked-down sshd. Commands get their
		// environment from the fleet, not from the client.
		reply(req, false)
	}
}

func (s *session) exec(req *ssh.Request) {
	var p struct{ Command string }
	if s.started || ssh.Unmarshal(req.Payload, &p) != nil {
		reply(req, false)
		return
	}
	proc, err := startProcess(s.h.Host, p.Command)
	if err != nil {
		s.h.log.Printf("%s: exec %q: %v", s.h.Name, p.Command, err)
		reply(req, false)
		return
	}
	s.started, s.proc = true, proc
	// Reply before any output or exit status can be sent, so the client
	// sees its exec accepted before the channel may close.
	reply(req, true)
	s.h.log.Printf("%s: exec %q (pid %d)", s.h.Name, p.Command, proc.pid())
	s.h.spawn(func() { proc.serve(s.h, s.ch) })
}

func (s *session) subsystem(req *ssh.Request) {
	var p struct{ Name string }
	if s.started || ssh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
		reply(req, false)
		return
	}
	// Relative paths resolve against the host directory, the commands'
	// HOME, as OpenSSH's sftp-server resolves them against the user's home.
	srv, err := sftp.NewServer(s.ch, sftp.WithServerWorkingDirectory(s.h.Dir))
	if err != nil {
		s.h.log.Printf("%s: sftp: %v", s.h.Name, err)
		reply(req, false)
		return
	}
	s.started = true
	reply(req, true)
	ch, h := s.ch, s.h
	h.spawn(func() {
		status := 0
		if err := srv.Serve(); err != nil {
			h.log.Printf("%s: sftp: %v", h.Name, err)
			status = 1
		}
		sendExit(ch, exit{status: status})
		_ = ch.Close()
	})
}

func (s *session) signal(req *ssh.Request) {
	var p struct{ Signal string }
	if s.proc == nil || ssh.Unmarshal(req.Payload, &p) != nil {
		reply(req, false)
		return
	}
	sig, ok := sshSignal(p.Signal)
	reply(req, ok && s.proc.signal(sig))
}

func reply(req *ssh.Request, ok bool) {
	if req.WantReply {
		_ = req.Reply(ok, nil)
	}
}
