//go:build !linux

package proxy

import "net"

// pollRelay is Linux only (relay_poll_linux.go); elsewhere the goroutine
// relay serves.
func (c *conn) pollRelay(r Relayer, back net.Conn) bool { return false }
