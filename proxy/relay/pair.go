package relay

import (
	"bufio"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// pair relays one client with a goroutine per direction: forward (the
// caller's goroutine) copies the client's messages to the backend, pump
// copies the backend's messages to the client.
type pair struct {
	cl   Client
	nc   net.Conn
	b    Backend
	back net.Conn
	f    frames

	// mu serializes writes to the client between pump and the gate's own
	// answers and refusals.
	mu       sync.Mutex
	backDone atomic.Bool // the backend connection ended
	pumpDone chan struct{}
}

func runPair(cl Client, nc net.Conn, b Backend, back net.Conn, o Options) {
	p := &pair{cl: cl, nc: nc, b: b, back: back, f: frames{max: o.MaxMessageSize}, pumpDone: make(chan struct{})}
	go p.pump()
	go watchShutdown(cl, o.Shutdown, cl.Done(), p.tryShutdown)
	p.forward()
	cl.Close()
	back.Close()
	<-p.pumpDone
}

// forward copies the client's messages to the backend, flushing whenever
// the client has nothing more buffered, and answers the gate's own
// commands.
func (p *pair) forward() {
	in := bufio.NewReaderSize(p.nc, bufSize)
	out := bufio.NewWriterSize(p.back, bufSize)
	var hdr [5]byte
	for {
		if in.Buffered() == 0 && out.Buffered() > 0 {
			if out.Flush() != nil {
				return // the backend is gone; pump ends the client
			}
		}
		if _, err := io.ReadFull(in, hdr[:]); err != nil {
			p.clientGone()
			return
		}
		typ, n := header(hdr[:])
		v, err := p.f.up(typ, n)
		switch v {
		case refuse:
			if p.send(p.cl.Fatal(err)) == nil && n > 0 {
				Linger(p.nc, int64(n), LingerTimeout)
			}
			return
		case terminate: // the backend ends too
			out.Write(hdr[:])
			_, _ = io.CopyN(out, in, int64(n))
			_ = out.Flush()
			return
		case whole:
			body := make([]byte, n)
			if _, err := io.ReadFull(in, body); err != nil {
				p.clientGone()
				return
			}
			if sql, ok := GateCommand(body); ok {
				if out.Flush() != nil || p.send(p.cl.Answer(sql)) != nil {
					return
				}
				continue
			}
			p.f.relayed()
			out.Write(hdr[:])
			out.Write(body)
			continue
		}
		out.Write(hdr[:])
		if _, err := io.CopyN(out, in, int64(n)); err != nil {
			p.clientGone()
			return
		}
	}
}

// send writes the gate's own messages to the client.
func (p *pair) send(msgs []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.nc.Write(msgs)
	return err
}

// clientGone cancels what the backend still runs for a client that went
// away.
func (p *pair) clientGone() {
	if !p.backDone.Load() && !p.f.idle() {
		cancelBackend(p.b)
	}
}

// tryShutdown ends the client if it is idle outside a transaction.
func (p *pair) tryShutdown() {
	if p.f.idle() && p.b.TxStatus() == 'I' {
		_ = p.send(p.cl.Fatal(errShutdown))
		p.cl.Close()
		p.back.Close()
	}
}

// pump copies the backend's messages to the client, flushing whenever the
// backend has nothing more buffered, and records each ReadyForQuery's
// transaction status. It ends the client connection when the backend ends.
func (p *pair) pump() {
	defer p.cl.Recover("relay from the backend")
	in := bufio.NewReaderSize(p.back, bufSize)
	out := bufio.NewWriterSize(p.nc, bufSize)
	locked := false
	defer func() {
		if locked {
			_ = out.Flush()
			p.mu.Unlock()
		}
		p.backDone.Store(true)
		p.cl.Close()
		close(p.pumpDone)
	}()
	var hdr [5]byte
	for {
		if locked && in.Buffered() == 0 {
			err := out.Flush()
			p.mu.Unlock()
			locked = false
			if err != nil {
				return
			}
		}
		if _, err := io.ReadFull(in, hdr[:]); err != nil {
			return
		}
		typ, n := header(hdr[:])
		if n < 0 {
			return
		}
		if !locked {
			p.mu.Lock()
			locked = true
		}
		if _, err := out.Write(hdr[:]); err != nil {
			return
		}
		if isReady(typ, n) {
			st, err := in.ReadByte()
			if err != nil {
				return
			}
			p.f.ready(p.b, st)
			if err := out.WriteByte(st); err != nil {
				return
			}
			continue
		}
		if _, err := io.CopyN(out, in, int64(n)); err != nil {
			return
		}
	}
}
