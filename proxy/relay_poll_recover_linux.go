package proxy

import (
	"golang.org/x/sys/unix"

	"github.com/dotdo/vitess/sqltypes"
)

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
	c := pp.c
	c.srv.panics.Add(1)
	err := sqltypes.PanicError(c.log, "relay poll loop", r)
	if c.srv.onPanic != nil {
		c.srv.onPanic(r)
	}
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
