package tracker

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/anacrolix/torrent/metainfo"
)

// maxKeyLen bounds the key parameter, which is kept in memory per peer.
const maxKeyLen = 64

// announceRequest is a validated /announce query.
type announceRequest struct {
	infoHash                   metainfo.Hash
	peerID                     [20]byte
	key                        string
	addr                       netip.AddrPort
	uploaded, downloaded, left int64
	event                      string
	compact, noPeerID          bool
	numWant                    int
}

// requestError is a client mistake, answered with a bencoded failure reason.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func badParam(name, format string, args ...any) error {
	return &requestError{msg: name + ": " + fmt.Sprintf(format, args...)}
}

// quote shows a client-supplied value in a failure reason, cut short so a
// failure reason never echoes a huge parameter.
func quote(v string) string {
	const max = 48
	if len(v) > max {
		v = v[:max] + "..."
	}
	return strconv.Quote(v)
}

// parseAnnounce validates the announce query of r.
func (s *Server) parseAnnounce(r *http.Request) (*announceRequest, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &requestError{msg: "malformed query string: " + err.Error()}
	}
	req := &announceRequest{}
	if req.infoHash, err = param20(q, "info_hash"); err != nil {
		return nil, err
	}
	if req.peerID, err = param20(q, "peer_id"); err != nil {
		return nil, err
	}
	if req.key = q.Get("key"); len(req.key) > maxKeyLen {
		return nil, badParam("key", "longer than %d bytes", maxKeyLen)
	}
	if req.addr, err = announceAddr(r, q); err != nil {
		return nil, err
	}
	if req.uploaded, err = paramInt(q, "uploaded", false); err != nil {
		return nil, err
	}
	if req.downloaded, err = paramInt(q, "downloaded", false); err != nil {
		return nil, err
	}
	if req.left, err = paramInt(q, "left", true); err != nil {
		return nil, err
	}
	switch req.event = q.Get("event"); req.event {
	case "", "started", "completed", "stopped":
	default:
		return nil, badParam("event", "must be started, completed, stopped or empty, got %s", quote(req.event))
	}
	if req.compact, err = paramBool(q, "compact", true); err != nil {
		return nil, err
	}
	if req.noPeerID, err = paramBool(q, "no_peer_id", false); err != nil {
		return nil, err
	}
	numWant := int64(s.cfg.DefaultNumWant)
	if q.Has("numwant") {
		if numWant, err = paramInt(q, "numwant", true); err != nil {
			return nil, err
		}
	}
	req.numWant = int(min(numWant, int64(s.cfg.MaxNumWant)))
	return req, nil
}

func param20(q url.Values, name string) (out [20]byte, err error) {
	v, ok := q[name]
	switch {
	case !ok || v[0] == "":
		return out, badParam(name, "missing")
	case len(v[0]) != 20:
		return out, badParam(name, "must be 20 bytes, got %d", len(v[0]))
	}
	copy(out[:], v[0])
	return out, nil
}

// paramInt parses a non-negative integer parameter; an absent optional one is 0.
func paramInt(q url.Values, name string, required bool) (int64, error) {
	v, ok := q[name]
	if !ok {
		if required {
			return 0, badParam(name, "missing")
		}
		return 0, nil
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || n < 0 {
		return 0, badParam(name, "must be a non-negative integer, got %s", quote(v[0]))
	}
	return n, nil
}

func paramBool(q url.Values, name string, def bool) (bool, error) {
	switch v := q.Get(name); {
	case !q.Has(name):
		return def, nil
	case v == "1":
		return true, nil
	case v == "0":
		return false, nil
	default:
		return false, badParam(name, "must be 0 or 1, got %s", quote(v))
	}
}

// announceAddr is where other peers reach the announcer: the ip parameter if
// given (the fleet sends its own address, which is right even behind NAT or
// with several interfaces), else the request's source address.
func announceAddr(r *http.Request, q url.Values) (netip.AddrPort, error) {
	ps := q.Get("port")
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || port == 0 {
		if !q.Has("port") {
			return netip.AddrPort{}, badParam("port", "missing")
		}
		return netip.AddrPort{}, badParam("port", "must be an integer in 1..65535, got %s", quote(ps))
	}
	var ip netip.Addr
	if v := q["ip"]; len(v) > 0 && v[0] != "" {
		// Only the first ip counts: anacrolix clients list one per family.
		if ip, err = netip.ParseAddr(v[0]); err != nil {
			return netip.AddrPort{}, badParam("ip", "must be an IPv4 or IPv6 address, got %s", quote(v[0]))
		}
	} else {
		src, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			return netip.AddrPort{}, &requestError{msg: "cannot determine your address; send ip"}
		}
		ip = src.Addr()
	}
	// Zones mean nothing to other hosts; mapped IPv4 belongs in the IPv4 list.
	return netip.AddrPortFrom(ip.WithZone("").Unmap(), uint16(port)), nil
}

func (s *Server) serveAnnounce(w http.ResponseWriter, r *http.Request) {
	req, err := s.parseAnnounce(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if !s.registered(req.infoHash) {
		s.fail(w, &requestError{msg: "unregistered info_hash " + req.infoHash.HexString() + ": this tracker does not track that torrent"})
		return
	}
	if req.event != "" {
		// Events are rare (a few per peer per transfer), unlike re-announces.
		s.log.Debug("tracker: announce", "event", req.event, "info_hash", req.infoHash.HexString(),
			"peer_id", hex.EncodeToString(req.peerID[:]), "addr", req.addr.String(), "left", req.left)
	}
	writeBencode(w, s.announce(req))
}
