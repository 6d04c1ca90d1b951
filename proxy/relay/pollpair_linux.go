//go:build linux

package relay

import (
	"net"
	"sync"

	"golang.org/x/sys/unix"
)

// pollPair is one relayed client and its backend, served by the loop.
type pollPair struct {
	lp       *Poller
	cl       Client
	b        Backend
	f        frames
	cfd, bfd int
	up       pollPipe // client to backend
	down     pollPipe // backend to client
	masks    [2]uint32

	paused      bool // a gate command is being answered
	terminating bool // the client sent Terminate
	ended       bool
	done        chan struct{}
	gates       sync.WaitGroup // gate commands being answered
}

// relay moves the relay of a client and its backend to the loop and
// returns when it has ended. It returns false, having changed nothing,
// when either connection has no file descriptor to poll.
func (lp *Poller) relay(cl Client, nc net.Conn, b Backend, back net.Conn, o Options) bool {
	cfd, err := dupConnFD(nc)
	if err != nil {
		return false
	}
	bfd, err := dupConnFD(back)
	if err != nil {
		unix.Close(cfd)
		return false
	}
	// The duplicates keep the sockets open; closing the originals takes
	// them out of Go's poller.
	nc.Close()
	back.Close()
	pp := &pollPair{
		lp: lp, cl: cl, b: b, f: frames{max: o.MaxMessageSize}, cfd: cfd, bfd: bfd,
		up:   pollPipe{buf: make([]byte, 0, pollBufSize)},
		down: pollPipe{buf: make([]byte, 0, pollBufSize)},
		done: make(chan struct{}),
	}
	pp.post(pp.start)
	go watchShutdown(cl, o.Shutdown, pp.done, pp.tryShutdown)
	<-pp.done
	cl.Close() // stops a gate command still running
	pp.gates.Wait()
	return true
}

func (pp *pollPair) start() {
	for i, fd := range []int{pp.cfd, pp.bfd} {
		pp.masks[i] = unix.EPOLLIN
		if err := unix.EpollCtl(pp.lp.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			pp.end()
			return
		}
		pp.lp.pairs[int32(fd)] = pp
	}
}

// end closes both sockets and lets pollRelay return.
func (pp *pollPair) end() {
	if pp.ended {
		return
	}
	pp.ended = true
	for _, fd := range []int{pp.cfd, pp.bfd} {
		if pp.lp.pairs[int32(fd)] == pp {
			_ = unix.EpollCtl(pp.lp.epfd, unix.EPOLL_CTL_DEL, fd, nil)
			delete(pp.lp.pairs, int32(fd))
		}
		unix.Close(fd)
	}
	close(pp.done)
}

func (pp *pollPair) handle(fd int, ev uint32) {
	const readable = unix.EPOLLIN | unix.EPOLLHUP | unix.EPOLLERR
	if fd == pp.cfd {
		if ev&unix.EPOLLOUT != 0 {
			pp.flushDown()
		}
		if ev&readable != 0 && !pp.ended {
			if pp.masks[0]&unix.EPOLLIN == 0 && ev&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				pp.clientGone() // not reading now, but the client is gone
				return
			}
			pp.readClient()
		}
	} else {
		if ev&unix.EPOLLOUT != 0 {
			pp.flushUp()
		}
		if ev&readable != 0 && !pp.ended {
			if pp.masks[1]&unix.EPOLLIN == 0 && ev&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				pp.backendGone()
				return
			}
			pp.readBackend()
		}
	}
	pp.updateMasks()
}

func (pp *pollPair) updateMasks() {
	if pp.ended {
		return
	}
	var cm, bm uint32
	if !pp.paused && !pp.terminating && pp.up.room() {
		cm |= unix.EPOLLIN
	}
	if pp.down.blocked {
		cm |= unix.EPOLLOUT
	}
	if pp.down.room() {
		bm |= unix.EPOLLIN
	}
	if pp.up.blocked {
		bm |= unix.EPOLLOUT
	}
	for i, fd := range []int{pp.cfd, pp.bfd} {
		m := cm
		if i == 1 {
			m = bm
		}
		if m != pp.masks[i] {
			pp.masks[i] = m
			_ = unix.EpollCtl(pp.lp.epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Events: m, Fd: int32(fd)})
		}
	}
}

func (pp *pollPair) readClient() { pp.read(&pp.up, pp.cfd, pp.clientGone, pp.frameUp, pp.flushUp) }

func (pp *pollPair) readBackend() {
	pp.read(&pp.down, pp.bfd, pp.backendGone, pp.frameDown, pp.flushDown)
}

// read reads what socket fd has into p, frames it and writes it on; gone
// ends the pair when the socket has ended.
func (pp *pollPair) read(p *pollPipe, fd int, gone func(), frame func() bool, flush func()) {
	if !p.room() {
		return
	}
	n, err := p.read(fd)
	if n < 0 {
		return
	}
	if n == 0 || err != nil {
		gone()
		return
	}
	if frame() {
		flush()
	}
}

func (pp *pollPair) flushUp() {
	if pp.ended {
		return
	}
	n, err := pp.up.write(pp.bfd)
	if err != nil {
		pp.backendGone()
		return
	}
	if n > 0 {
		pp.lp.yieldToPeer()
	}
	if pp.terminating && !pp.up.pendingOut() {
		pp.end()
	}
}

func (pp *pollPair) flushDown() {
	if pp.ended {
		return
	}
	n, err := pp.down.write(pp.cfd)
	if err != nil {
		pp.clientGone()
		return
	}
	if n > 0 {
		pp.lp.yieldToPeer()
	}
}

// frameUp walks the client's messages: it counts what awaits a
// ReadyForQuery, checks lengths, and takes out the gate's own commands.
// It reports false when the pair has ended.
func (pp *pollPair) frameUp() bool {
	p := &pp.up
	for !pp.paused && !pp.terminating {
		if !p.passBody() {
			return true
		}
		h := p.buf[p.clear:]
		if len(h) < 5 {
			return true
		}
		typ, n := header(h)
		p.need = 0
		switch v, err := pp.f.up(typ, n); v {
		case refuse:
			pp.refuse(err, int64(max(n, 0)))
			return false
		case terminate:
			pp.terminating = true
		case whole:
			if len(h) < 5+n {
				p.need = 5 + n // the whole query decides where it goes
				return true
			}
			if sql, ok := GateCommand(h[5 : 5+n]); ok {
				p.buf = append(p.buf[:p.clear], p.buf[p.clear+5+n:]...)
				pp.gateCommand(sql)
				return true
			}
			pp.f.relayed()
		}
		p.clear += 5
		p.remain = n
	}
	return true
}

// frameDown walks the server's messages to record each ReadyForQuery.
func (pp *pollPair) frameDown() bool {
	p := &pp.down
	for {
		if !p.passBody() {
			return true
		}
		h := p.buf[p.clear:]
		if len(h) < 5 {
			return true
		}
		typ, n := header(h)
		if n < 0 {
			pp.backendGone()
			return false
		}
		if isReady(typ, n) {
			if len(h) < 6 {
				return true
			}
			pp.f.ready(pp.b, h[5])
			p.clear += 6
			continue
		}
		p.clear += 5
		p.remain = n
	}
}

// gateCommand answers EXPLAIN (ROUTE) or SHOW vitess_... on the gate's
// planner path, off the loop; the client's further messages wait.
func (pp *pollPair) gateCommand(sql string) {
	pp.paused = true
	pp.gates.Add(1)
	go func() {
		defer pp.gates.Done()
		defer pp.cl.Recover("relay gate command")
		out := pp.cl.Answer(sql)
		pp.post(func() {
			if pp.ended {
				return
			}
			pp.paused = false
			pp.down.insert(out)
			pp.flushDown()
			if !pp.ended && pp.frameUp() {
				pp.flushUp()
			}
			pp.updateMasks()
		})
	}()
}

// refuse sends the client a FATAL error and ends the pair.
func (pp *pollPair) refuse(err error, pending int64) {
	pp.down.insert(pp.cl.Fatal(err))
	// The error and what precedes it go out, blocking, from a goroutine
	// that then drains the client (lingerFD), so that it reads the error.
	out := append([]byte(nil), pp.down.buf[pp.down.off:pp.down.clear]...)
	fd, derr := unix.Dup(pp.cfd)
	pp.end()
	if derr == nil {
		go lingerFD(fd, out, pending)
	}
}

// clientGone cancels what the backend still runs for a client that went
// away.
func (pp *pollPair) clientGone() {
	if !pp.f.idle() {
		go func() {
			defer pp.cl.Recover("relay cancel")
			cancelBackend(pp.b)
		}()
	}
	pp.end()
}

// backendGone passes on what the server sent last and ends the client.
func (pp *pollPair) backendGone() {
	_, _ = pp.down.write(pp.cfd)
	pp.end()
}

// tryShutdown ends the client, on the loop, if it is idle outside a
// transaction.
func (pp *pollPair) tryShutdown() {
	pp.post(func() {
		if !pp.ended && pp.f.idle() && !pp.paused && pp.b.TxStatus() == 'I' {
			pp.refuse(errShutdown, 0)
		}
	})
}

// post runs f on the loop goroutine; a panic in f ends only this pair.
func (pp *pollPair) post(f func()) {
	pp.lp.post(func() {
		defer pp.recoverPanic()
		f()
	})
}

// safeHandle is handle, with a panic ending only this pair.
func (pp *pollPair) safeHandle(fd int, ev uint32) {
	defer pp.recoverPanic()
	pp.handle(fd, ev)
}

// recoverPanic, deferred on the loop goroutine, keeps the loop (which
// serves every relayed client) alive: the pair that panicked gets FATAL
// XX000 and is ended.
func (pp *pollPair) recoverPanic() {
	r := recover()
	if r == nil {
		return
	}
	err := pp.cl.Panicked("relay poll loop", r)
	defer func() {
		if recover() != nil && !pp.ended {
			pp.ended = true
			unix.Close(pp.cfd)
			unix.Close(pp.bfd)
			close(pp.done)
		}
	}()
	pp.refuse(err, 0)
}
