//go:build !linux

package proxy

import (
	"errors"
	"net"
)

// pollRelay is Linux only (relay_poll_linux.go); elsewhere the goroutine
// relay serves.
func (c *conn) pollRelay(r Relayer, back net.Conn) bool { return false }

// relayPoller is Linux's epoll loop; elsewhere there is none.
type relayPoller struct{}

func newRelayPoller(bool) (*relayPoller, error) { return nil, errors.ErrUnsupported }

func (*relayPoller) stop() {}
