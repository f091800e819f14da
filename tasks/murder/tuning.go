package murder

import (
	"fmt"
	"strconv"

	"github.com/murderfleet/murder/internal/units"
)

// The swarm's tuning arguments are optional: unset, the agent's defaults
// hold (chosen on a shaped fleet of 100 Mbit/s links). A fleet whose links
// differ, one with a large bandwidth-delay product say, or a bench that
// compares settings, passes them on to the agent as numbers, checked here
// before anything runs remotely.

// maxConnections bounds peer_connections and seeder_connections: each
// connection costs the host memory and bookkeeping per piece.
const maxConnections = 1000

// Piece lengths: the agent takes a power of two of at least 16 KiB (a
// request's block); 64 MiB is four times the most it picks itself, and a
// peer passes a piece on only once it holds all of it.
const minPieceLength, maxPieceLength = 16 << 10, 64 << 20

// ValidateArg checks a tuning argument's value (peer_connections,
// seeder_connections, piece_length) as the tasks that use it would; other
// names are not tuning arguments and are refused.
func ValidateArg(name, value string) error {
	var err error
	switch name {
	case "peer_connections", "seeder_connections":
		_, err = connections(name, value)
	case "piece_length":
		_, err = pieceLength(value)
	default:
		err = fmt.Errorf("%s is not one of murder's tuning arguments", name)
	}
	return err
}

// connections reads peer_connections or seeder_connections; 0: unset.
func connections(name, v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxConnections {
		return 0, fmt.Errorf("%s=%s: want a whole number of connections from 1 to %d", name, v, maxConnections)
	}
	return n, nil
}

// pieceLength reads piece_length, a size as the bench's size= reads it
// ("256KiB", "1MiB", "262144"); 0: unset.
func pieceLength(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := units.ParseSize(v)
	if err != nil || n > maxPieceLength || n < minPieceLength || n&(n-1) != 0 {
		return 0, fmt.Errorf("piece_length=%s: want a power of two from 16KiB to 64MiB, like 256KiB or 1MiB", v)
	}
	return n, nil
}

// checkTuning checks the tuning arguments that the task of n passes on.
func (s settings) checkTuning(n need) error {
	var err error
	if n&tunesPeer != 0 {
		_, err = connections("peer_connections", s.PeerConns)
	}
	if err == nil && n&tunesSeeder != 0 {
		_, err = connections("seeder_connections", s.SeederConns)
	}
	if err == nil && n&tunesTorrent != 0 {
		_, err = pieceLength(s.PieceLength)
	}
	return err
}

// tuned appends flag and the argument's number to argv when it is set
// (checkTuning has refused a bad value before any command is built).
func tuned(argv []string, flag string, n int64) []string {
	if n <= 0 {
		return argv
	}
	return append(argv, flag, strconv.FormatInt(n, 10))
}
