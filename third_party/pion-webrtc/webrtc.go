// Package webrtc stands in for github.com/pion/webrtc/v4 in murder's own
// builds; see ../README.md. It declares what anacrolix/torrent names, and
// every constructor fails: murder turns WebTorrent off, so none is called.
package webrtc

import (
	"errors"

	"github.com/pion/datachannel"
	"github.com/pion/logging"
)

// errDisabled is what every constructor returns.
var errDisabled = errors.New("webrtc is not built into murder's agent")

// SDPType is the type of a session description.
type SDPType int

// SessionDescription is an SDP offer or answer.
type SessionDescription struct {
	Type SDPType `json:"type"`
	SDP  string  `json:"sdp"`
}

// ICEServer is a STUN or TURN server.
type ICEServer struct {
	URLs []string `json:"urls"`
}

// ICECandidate is a candidate address of a peer.
type ICECandidate struct {
	Address string
	Port    uint16
}

// ICECandidatePair is the pair of candidates a connection uses.
type ICECandidatePair struct {
	Local  *ICECandidate
	Remote *ICECandidate
}

// StatsReport holds a connection's statistics.
type StatsReport map[string]any

// Configuration configures a PeerConnection.
type Configuration struct {
	ICEServers []ICEServer `json:"iceServers,omitempty"`
}

// SettingEngine holds settings outside the WebRTC standard.
type SettingEngine struct {
	LoggerFactory logging.LoggerFactory
}

// DetachDataChannels is a no-op.
func (*SettingEngine) DetachDataChannels() {}

// API creates PeerConnections.
type API struct{}

// NewAPI returns an API whose NewPeerConnection fails.
func NewAPI(...func(*API)) *API { return &API{} }

// WithSettingEngine is an option of NewAPI.
func WithSettingEngine(SettingEngine) func(*API) { return func(*API) {} }

// NewPeerConnection fails with errDisabled.
func (*API) NewPeerConnection(Configuration) (*PeerConnection, error) {
	return nil, errDisabled
}

// PeerConnectionState is the state of a PeerConnection.
type PeerConnectionState int

func (PeerConnectionState) String() string { return "disabled" }

// DataChannelInit configures a new DataChannel.
type DataChannelInit struct{}

// OfferOptions and AnswerOptions configure CreateOffer and CreateAnswer.
type (
	OfferOptions  struct{}
	AnswerOptions struct{}
)

// PeerConnection is a WebRTC connection; none can be created.
type PeerConnection struct{}

// Close does nothing.
func (*PeerConnection) Close() error { return nil }

// OnConnectionStateChange does nothing: the state never changes.
func (*PeerConnection) OnConnectionStateChange(func(PeerConnectionState)) {}

// OnDataChannel does nothing: no channel ever opens.
func (*PeerConnection) OnDataChannel(func(*DataChannel)) {}

// SetLocalDescription fails with errDisabled.
func (*PeerConnection) SetLocalDescription(SessionDescription) error { return errDisabled }

// SetRemoteDescription fails with errDisabled.
func (*PeerConnection) SetRemoteDescription(SessionDescription) error { return errDisabled }

// LocalDescription returns an empty description.
func (*PeerConnection) LocalDescription() *SessionDescription { return &SessionDescription{} }

// CreateOffer fails with errDisabled.
func (*PeerConnection) CreateOffer(*OfferOptions) (SessionDescription, error) {
	return SessionDescription{}, errDisabled
}

// CreateAnswer fails with errDisabled.
func (*PeerConnection) CreateAnswer(*AnswerOptions) (SessionDescription, error) {
	return SessionDescription{}, errDisabled
}

// CreateDataChannel fails with errDisabled.
func (*PeerConnection) CreateDataChannel(string, *DataChannelInit) (*DataChannel, error) {
	return nil, errDisabled
}

// GetStats returns an empty report.
func (*PeerConnection) GetStats() StatsReport { return StatsReport{} }

// SCTP returns the connection's SCTP transport.
func (*PeerConnection) SCTP() *SCTPTransport { return &SCTPTransport{} }

// GatheringCompletePromise returns a closed channel.
func GatheringCompletePromise(*PeerConnection) <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// SCTPTransport, DTLSTransport and ICETransport lead to the selected
// candidate pair.
type (
	SCTPTransport struct{}
	DTLSTransport struct{}
	ICETransport  struct{}
)

// Transport returns the DTLS transport.
func (*SCTPTransport) Transport() *DTLSTransport { return &DTLSTransport{} }

// ICETransport returns the ICE transport.
func (*DTLSTransport) ICETransport() *ICETransport { return &ICETransport{} }

// GetSelectedCandidatePair fails with errDisabled.
func (*ICETransport) GetSelectedCandidatePair() (*ICECandidatePair, error) {
	return nil, errDisabled
}

// DataChannel is a WebRTC data channel; none can be created.
type DataChannel struct{}

// Close does nothing.
func (*DataChannel) Close() error { return nil }

// OnOpen does nothing: no channel ever opens.
func (*DataChannel) OnOpen(func()) {}

// OnClose does nothing.
func (*DataChannel) OnClose(func()) {}

// Detach fails with errDisabled.
func (*DataChannel) Detach() (datachannel.ReadWriteCloser, error) { return nil, errDisabled }
