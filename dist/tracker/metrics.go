package tracker

import (
	"net/http"
	"strconv"
	"strings"
)

// serveMetrics answers /metrics in the Prometheus text exposition format
// (version 0.0.4), to the admin token only. It is written by hand: a handful
// of series do not justify a client library. The per-swarm series come from
// the counters each swarm maintains, so a scrape costs O(swarms) under the
// lock, whatever the number of peers.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !s.isAdmin(r) {
		unauthorized(w, "send Authorization: Bearer with the admin token")
		return
	}
	st := s.snapshot(func(registration) bool { return true }, false)
	var b strings.Builder
	metric(&b, "murder_tracker_announces_total", "counter", "Announces received, refused ones included.")
	writeSample(&b, "murder_tracker_announces_total", "", int64(s.announces.Load()))
	metric(&b, "murder_tracker_announces_failed_total", "counter", "Announces answered with a failure reason.")
	writeSample(&b, "murder_tracker_announces_failed_total", "", int64(s.announcesFailed.Load()))
	metric(&b, "murder_tracker_swarms", "gauge", "Registered info-hashes and swarms with peers.")
	writeSample(&b, "murder_tracker_swarms", "", int64(len(st.Swarms)))
	perSwarm := []struct {
		name, help string
		value      func(Swarm) int64
	}{
		{"murder_tracker_peers", "Peers of the swarm, seeders included.", func(sw Swarm) int64 { return int64(sw.Complete + sw.Incomplete) }},
		{"murder_tracker_seeders", "Peers of the swarm with nothing left to download.", func(sw Swarm) int64 { return int64(sw.Complete) }},
		{"murder_tracker_bytes_left", "Bytes the swarm's peers still have to download, summed.", func(sw Swarm) int64 { return sw.BytesLeft }},
	}
	for _, m := range perSwarm {
		metric(&b, m.name, "gauge", m.help)
		for _, sw := range st.Swarms {
			writeSample(&b, m.name, `info_hash="`+labelValue(sw.InfoHash)+`"`, m.value(sw))
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(b.String()))
}

func metric(b *strings.Builder, name, typ, help string) {
	b.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

func writeSample(b *strings.Builder, name, labels string, v int64) {
	b.WriteString(name)
	if labels != "" {
		b.WriteString("{" + labels + "}")
	}
	b.WriteString(" " + strconv.FormatInt(v, 10) + "\n")
}

// labelValue escapes a label value as the exposition format wants. Info-hashes
// in hex need none; this keeps the output valid should a label ever hold
// anything else.
func labelValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}
