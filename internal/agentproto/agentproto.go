// Package agentproto is the text murder-agent answers with where murder's
// controller reads it: the final line of a peer's `status`, and the lines
// of `swarm-status`. The agent formats them and the controller parses them
// with the same code, so neither side can drift from the other; the golden
// test pins the text an older or newer agent must still understand.
package agentproto

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PeerDone is a peer's result once it holds the verified archive and, when
// it was asked to, has extracted it. Moments are measured by the host's
// own clock from the start of its peer process, so clock skew between the
// controller and the host does not matter; a zero moment is unknown.
type PeerDone struct {
	FirstByte  time.Duration // the first useful block arrived
	Downloaded time.Duration // the whole archive verified
	Extracted  time.Duration // extracted into the destination (0: not asked)
	// FromSeeder and FromPeers are the archive's bytes as they arrived
	// from seeders (murder's seeder role) and from other peers: the
	// swarm's share of the work.
	FromSeeder, FromPeers int64
	// Behind is the archive's bytes the extraction had still to read when
	// the download ended: what the extraction's tail works through; -1
	// when the line does not say (an agent older than the field).
	Behind int64
}

// Format is the status line: "done first_byte=0.412 downloaded=21.301 ...".
func (d PeerDone) Format() string {
	return fmt.Sprintf("done first_byte=%s downloaded=%s extracted=%s from_seeder=%d from_peers=%d extract_behind=%d",
		secs(d.FirstByte), secs(d.Downloaded), secs(d.Extracted), d.FromSeeder, d.FromPeers, d.Behind)
}

// IsDone reports whether a status line is a peer's success: "done", bare
// from agents that record no details, or with PeerDone's fields.
func IsDone(line string) bool { return line == "done" || strings.HasPrefix(line, "done ") }

// ParseDone reads a line IsDone accepts; fields it does not know are
// skipped, fields it lacks stay zero (Behind: -1).
func ParseDone(line string) (PeerDone, bool) {
	if !IsDone(line) {
		return PeerDone{}, false
	}
	f := fields(line)
	behind := int64(-1)
	if v, ok := f["extract_behind"]; ok {
		behind = num(v)
	}
	return PeerDone{
		FirstByte:  dur(f["first_byte"]),
		Downloaded: dur(f["downloaded"]),
		Extracted:  dur(f["extracted"]),
		FromSeeder: num(f["from_seeder"]),
		FromPeers:  num(f["from_peers"]),
		Behind:     behind,
	}, true
}

// Swarm is one sample of a transfer's swarm as its tracker sees it, from
// the peers' announces.
type Swarm struct {
	Seeds    int   // peers holding everything (the seeder and finished peers)
	Leechers int   // peers still downloading
	Left     int64 // bytes the leechers still miss, summed
}

// Format is the swarm-status line: "swarm seeds=3 leechers=7 left=123".
func (s Swarm) Format() string {
	return fmt.Sprintf("swarm seeds=%d leechers=%d left=%d", s.Seeds, s.Leechers, s.Left)
}

// ParseSwarm reads a line Format wrote.
func ParseSwarm(line string) (Swarm, bool) {
	if !strings.HasPrefix(line, "swarm ") {
		return Swarm{}, false
	}
	f := fields(line)
	return Swarm{Seeds: int(num(f["seeds"])), Leechers: int(num(f["leechers"])), Left: num(f["left"])}, true
}

// Field reads "name=value" as an integer from a line of such fields (a
// peer's progress line: "progress have=123 total=456 ..."); 0 when absent.
func Field(line, name string) int64 { return num(fields(line)[name]) }

func fields(line string) map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(line) {
		if k, v, ok := strings.Cut(w, "="); ok {
			m[k] = v
		}
	}
	return m
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

func dur(s string) time.Duration {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0
	}
	return time.Duration(v * float64(time.Second))
}

func num(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
