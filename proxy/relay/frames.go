package relay

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgconn"
)

// frames is the relay's view of one session's protocol, shared by both
// pumps: the client's messages are checked and counted as they pass up,
// the backend's ReadyForQuery messages as they pass down. The two
// directions may run on two goroutines, hence the atomics.
type frames struct {
	max int // the longest client message body accepted
	// pending counts the relayed Query, Sync and FunctionCall messages
	// whose ReadyForQuery has not arrived; unsynced is set by extended
	// protocol messages until their Sync.
	pending  atomic.Int64
	unsynced atomic.Bool
}

// verdict is what a pump does with a client message.
type verdict int

const (
	pass      verdict = iota // relay it
	whole                    // a Query while idle: read all of it, then ask GateCommand
	terminate                // Terminate: relay it, then end
	refuse                   // the message is refused: FATAL, then end
)

// header is a message's type and body length (negative: invalid).
func header(h []byte) (byte, int) {
	return h[0], int(int32(binary.BigEndian.Uint32(h[1:5]))) - 4
}

// idle reports that no relayed request is in flight.
func (f *frames) idle() bool { return f.pending.Load() == 0 && !f.unsynced.Load() }

// up checks and records a client message of type typ and body length n.
// A Query while idle is left for the pump to count with relayed once it
// knows the Query is not the gate's own.
func (f *frames) up(typ byte, n int) (verdict, error) {
	switch {
	case n < 0:
		return refuse, sqltypes.Errorf(sqltypes.ProtocolViolation, "invalid message length")
	case n > f.max:
		return refuse, TooBig(n, f.max)
	}
	switch typ {
	case 'Q':
		if f.idle() {
			return whole, nil
		}
		f.pending.Add(1)
	case 'S':
		f.pending.Add(1)
		f.unsynced.Store(false)
	case 'F':
		f.pending.Add(1)
	case 'P', 'B', 'D', 'E', 'C':
		f.unsynced.Store(true)
	case 'X':
		return terminate, nil
	}
	return pass, nil
}

// relayed counts a Query that up left to the pump and that goes on.
func (f *frames) relayed() { f.pending.Add(1) }

// isReady reports a backend message that is a ReadyForQuery (its status
// byte follows the header).
func isReady(typ byte, n int) bool { return typ == 'Z' && n == 1 }

// ready records a ReadyForQuery with its status.
func (f *frames) ready(b Backend, status byte) {
	b.SetTxStatus(status)
	for {
		p := f.pending.Load()
		if p <= 0 || f.pending.CompareAndSwap(p, p-1) {
			return
		}
	}
}

// TooBig is the refusal of a message longer than the maximum.
func TooBig(n, limit int) *pgconn.PgError {
	return sqltypes.Errorf(sqltypes.ProgramLimitExceeded, "message of %d bytes exceeds the maximum of %d", n, limit)
}
