package tracker

import (
	"encoding/hex"
	"fmt"
	"github.com/murderfleet/murder/dist/passkey"
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
	token                      string // of the path; "" on /announce
	peerID                     [20]byte
	key                        string
	addr                       netip.AddrPort // announced to other peers
	src                        netip.Addr     // the connection's source; invalid if unknown
	uploaded, downloaded, left int64
	event                      string
	compact, noPeerID          bool
	numWant                    int
}

// requestError is a client mistake, answered with a bencoded failure reason.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

// errUnauthorized answers a request on a token path whose token does not
// match the info-hash's registration. It is the same whether the info-hash
// is unknown, registered with another token or without one, or the token is
// malformed, so that it reveals nothing.
var errUnauthorized = &requestError{msg: "unknown or unauthorized transfer"}

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

// parseAnnounce validates the announce query of r, which came on the path
// of token ("" for /announce).
func (s *Server) parseAnnounce(r *http.Request, token string) (*announceRequest, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &requestError{msg: "malformed query string: " + err.Error()}
	}
	req := &announceRequest{token: token}
	if req.infoHash, err = param20(q, "info_hash"); err != nil {
		return nil, err
	}
	if req.peerID, err = param20(q, "peer_id"); err != nil {
		return nil, err
	}
	if req.key = q.Get("key"); len(req.key) > maxKeyLen {
		return nil, badParam("key", "longer than %d bytes", maxKeyLen)
	}
	if req.addr, req.src, err = announceAddr(r, q); err != nil {
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
// with several interfaces), else the request's source address. It also
// returns the source address, which owns the peer's entry.
func announceAddr(r *http.Request, q url.Values) (addr netip.AddrPort, src netip.Addr, err error) {
	ps := q.Get("port")
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || port == 0 {
		if !q.Has("port") {
			return addr, src, badParam("port", "missing")
		}
		return addr, src, badParam("port", "must be an integer in 1..65535, got %s", quote(ps))
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		src = ap.Addr().WithZone("").Unmap()
	}
	ip, name := src, "source address"
	if v := q["ip"]; len(v) > 0 && v[0] != "" {
		// Only the first ip counts: anacrolix clients list one per family.
		if ip, err = netip.ParseAddr(v[0]); err != nil {
			return addr, src, badParam("ip", "must be an IPv4 or IPv6 address, got %s", quote(v[0]))
		}
		name = "ip"
	} else if !src.IsValid() {
		return addr, src, &requestError{msg: "cannot determine your address; send ip"}
	}
	// Zones mean nothing to other hosts; mapped IPv4 belongs in the IPv4 list.
	ip = ip.WithZone("").Unmap()
	if !usableAddr(ip) {
		// Such an address would make every peer of the swarm dial a broadcast
		// or multicast group, or nothing: a way to steer the fleet's traffic.
		return addr, src, badParam(name, "%s is unspecified, broadcast, multicast or link-local: not a peer address", ip)
	}
	return netip.AddrPortFrom(ip, uint16(port)), src, nil
}

var broadcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// usableAddr reports whether other peers can connect to ip.
func usableAddr(ip netip.Addr) bool {
	return !ip.IsUnspecified() && ip != broadcast4 && !ip.IsMulticast() &&
		!ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast()
}

// serveAnnounce answers an announce that came on the path of token ("" for
// /announce).
func (s *Server) serveAnnounce(w http.ResponseWriter, r *http.Request, token string) {
	s.announces.Add(1)
	body, err := s.answerAnnounce(r, token)
	if err != nil {
		s.announcesFailed.Add(1)
		s.fail(w, err)
		return
	}
	writeBencode(w, body)
}

func (s *Server) answerAnnounce(r *http.Request, token string) ([]byte, error) {
	if token != "" && passkey.Valid(token) != nil {
		return nil, errUnauthorized
	}
	req, err := s.parseAnnounce(r, token)
	if err != nil {
		return nil, err
	}
	if !s.authorized(req.infoHash, token) {
		if token != "" {
			return nil, errUnauthorized
		}
		return nil, &requestError{msg: "unregistered info_hash " + req.infoHash.HexString() + ": this tracker does not track that torrent"}
	}
	if req.event != "" {
		// Events are rare (a few per peer per transfer), unlike re-announces.
		s.log.Debug("tracker: announce", "event", req.event, "info_hash", req.infoHash.HexString(),
			"peer_id", hex.EncodeToString(req.peerID[:]), "addr", req.addr.String(), "left", req.left)
	}
	return s.announce(req)
}
