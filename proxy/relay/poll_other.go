//go:build !linux

package relay

import (
	"errors"
	"net"
)

// Poller is Linux's epoll loop (poll_linux.go); elsewhere there is none
// and the goroutine pair relays.
type Poller struct{}

// NewPoller fails off Linux.
func NewPoller(bool) (*Poller, error) { return nil, errors.ErrUnsupported }

// Stop does nothing.
func (*Poller) Stop() {}

func (*Poller) relay(Client, net.Conn, Backend, net.Conn, Options) bool { return false }
