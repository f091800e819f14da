package murder

import (
	"net"
	"strconv"
	"time"
)

// The remote command lines of every task, built from settings alone so
// that golden tests show exactly what reaches each host's shell, quoting
// included (testdata/commands.golden).

func (s settings) startTrackerCmd() []string {
	return []string{s.agent(), "tracker", "--detach", "--port", strconv.Itoa(s.TrackerPort), "--run-dir", s.runDir()}
}

func (s settings) stopTrackerCmd() []string {
	return []string{s.agent(), "stop", "--run-dir", s.runDir(), "tracker"}
}

// packCmd packs files_path into TAG.tgz, encrypted to recipient unless
// that is "" (encrypt=0).
func (s settings) packCmd(recipient string) []string {
	argv := []string{s.agent(), "pack"}
	if recipient != "" {
		argv = append(argv, "--recipient", recipient)
	}
	if s.PathIsFile {
		return append(argv, "--file", s.FilesPath, s.filename())
	}
	return append(argv, "--exclude", ".git*", s.FilesPath, s.filename())
}

// makeTorrentCmd announces at trackerHost, the tracker role's host name
// as configured, as the original did. The transfer's token comes on
// stdin, never on the command line; unpacked is what pack reported (-1:
// the agent reads it from the archive, which it cannot when encrypted).
func (s settings) makeTorrentCmd(trackerHost string, trackerPort int, unpacked int64) []string {
	tracker := net.JoinHostPort(trackerHost, strconv.Itoa(trackerPort))
	argv := []string{s.agent(), "make-torrent", "--run-dir", s.runDir(), "--token-file", "-"}
	if s.Plain {
		// encrypt=0 is for other clients, which verify a tracker's
		// certificate: theirs cannot be, it is self-signed.
		argv = append(argv, "--plain-http")
	}
	if unpacked >= 0 {
		argv = append(argv, "--unpacked-size", strconv.FormatInt(unpacked, 10))
	}
	pl, _ := pieceLength(s.PieceLength)
	argv = tuned(argv, "--piece-length", pl)
	return append(argv, s.filename(), tracker, s.torrent())
}

func (s settings) registerCmd(torrent string) []string {
	return []string{s.agent(), "register", "--run-dir", s.runDir(), torrent}
}

func (s settings) startSeedingCmd() []string {
	argv := []string{s.agent(), "seeder", "--detach", "--run-dir", s.runDir(), "--tag", s.Tag}
	if s.Sealed {
		argv = append(argv, "--require-encryption")
	}
	n, _ := connections("seeder_connections", s.SeederConns)
	argv = tuned(argv, "--max-conns", int64(n))
	return append(argv, s.torrent(), s.filename())
}

func (s settings) stopSeedingCmd() []string {
	return []string{s.agent(), "stop", "--run-dir", s.runDir(), "seeder", s.Tag}
}

func (s settings) stopAllSeedingCmd() []string {
	return []string{s.agent(), "stop", "--all", "--run-dir", s.runDir(), "seeder"}
}

// checkDestCmd fails early on a destination the extraction would refuse.
func (s settings) checkDestCmd() []string {
	argv := []string{s.agent(), "prepare", "--check"}
	if !s.NoTagDirectory && !s.UnsafeDelete && !s.PathIsFile {
		argv = append(argv, "--require-empty")
	}
	return append(argv, s.dest())
}

// startPeerCmd starts the peer, which extracts the archive itself once it
// holds it verified; the .torrent comes on its stdin, after the key's line
// when keyed.
func (s settings) startPeerCmd(stall string, keyed bool) []string {
	argv := []string{s.agent(), "peer", "--no-wait", "--torrent-stdin", "--run-dir", s.runDir(), "--tag", s.Tag}
	if s.Sealed {
		argv = append(argv, "--require-encryption")
	}
	if stall != "" {
		argv = append(argv, "--stall-timeout", stall)
	}
	n, _ := connections("peer_connections", s.PeerConns)
	argv = tuned(argv, "--max-conns", int64(n))
	argv = append(argv, "--extract", s.dest(), "--extract-mode", s.extractMode())
	if keyed {
		argv = append(argv, "--identity-stdin")
	}
	return append(argv, s.torrent(), s.filename())
}

// extractMode is how the extraction treats the destination.
func (s settings) extractMode() string {
	switch {
	case s.PathIsFile:
		return "file"
	case s.UnsafeDelete:
		return "replace"
	case s.NoTagDirectory:
		return "merge"
	}
	return "tree"
}

// swarmStatusCmd follows the transfer's swarm at its tracker; the
// .torrent (whose token opens the tracker's status) comes on stdin.
func (s settings) swarmStatusCmd(every time.Duration) []string {
	return []string{s.agent(), "swarm-status", "--every", every.String()}
}

// peerStatusCmd asks for the peer's state, first waiting up to wait for
// its result (0: answer at once).
func (s settings) peerStatusCmd(wait time.Duration) []string {
	argv := []string{s.agent(), "status", "--run-dir", s.runDir()}
	if wait > 0 {
		argv = append(argv, "--wait", wait.String())
	}
	return append(argv, "peer", s.Tag)
}

func (s settings) stopPeeringCmd() []string {
	return []string{s.agent(), "stop", "--missing-ok", "--run-dir", s.runDir(), "peer", s.Tag}
}

func (s settings) stopAllPeeringCmd() []string {
	return []string{s.agent(), "stop", "--all", "--run-dir", s.runDir(), "peer"}
}

func (s settings) cleanTempCmd() []string {
	return []string{s.agent(), "clean", s.filename(), s.torrent(), s.filename() + ".part"}
}

// The commands of distribute_files are in guard.go.
