//go:build linux

package relay

import "golang.org/x/sys/unix"

// pollPipe is one direction's bytes: read from the source into buf,
// written from buf[off:clear] to the destination. Bytes past clear are
// not yet framed (a message header still incomplete, or a Query the gate
// must see whole before it knows where it goes).
type pollPipe struct {
	buf     []byte
	off     int // first byte not yet written
	clear   int // bytes before clear may be written
	remain  int // body bytes of the message being passed that are not yet read
	need    int // bytes from clear that must be buffered before framing goes on
	blocked bool
}

func (p *pollPipe) pendingOut() bool { return p.off < p.clear }

// room reports whether a read has somewhere to go.
func (p *pollPipe) room() bool {
	return len(p.buf) < cap(p.buf) || p.off > 0 || p.need > cap(p.buf)-p.clear
}

// read reads what the socket has; n == 0 with a nil error is the end.
func (p *pollPipe) read(fd int) (int, error) {
	if p.off > 0 && (p.off == len(p.buf) || cap(p.buf)-len(p.buf) < pollBufSize/4) {
		k := copy(p.buf, p.buf[p.off:])
		p.clear -= p.off
		p.buf = p.buf[:k]
		p.off = 0
	}
	if free := cap(p.buf) - len(p.buf); free == 0 || p.need > cap(p.buf)-p.clear {
		size := 2 * cap(p.buf)
		if size < p.clear+p.need {
			size = p.clear + p.need
		}
		nb := make([]byte, len(p.buf), size)
		copy(nb, p.buf)
		p.buf = nb
	}
	for {
		n, err := rawRead(fd, p.buf[len(p.buf):cap(p.buf)])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return -1, nil
		}
		if err != nil {
			return 0, err
		}
		p.buf = p.buf[:len(p.buf)+n]
		return n, nil
	}
}

// write writes the framed bytes and reports how many it wrote; blocked is
// set when the socket is full.
func (p *pollPipe) write(fd int) (int, error) {
	p.blocked = false
	wrote := 0
	for p.off < p.clear {
		n, err := rawWrite(fd, p.buf[p.off:p.clear])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			p.blocked = true
			return wrote, nil
		}
		if err != nil {
			return wrote, err
		}
		p.off += n
		wrote += n
	}
	if p.off == len(p.buf) {
		p.buf, p.off, p.clear = p.buf[:0], 0, 0
		if cap(p.buf) > pollBufSize {
			p.buf = make([]byte, 0, pollBufSize) // a large message has passed
		}
	}
	return wrote, nil
}

// passBody clears the read part of the message body being passed and
// reports whether all of it is (framing can go on at clear).
func (p *pollPipe) passBody() bool {
	k := min(p.remain, len(p.buf)-p.clear)
	p.clear += k
	p.remain -= k
	return p.remain == 0
}

// insert puts b into the stream at clear, ready to be written.
func (p *pollPipe) insert(b []byte) {
	tail := append([]byte(nil), p.buf[p.clear:]...)
	p.buf = append(append(p.buf[:p.clear], b...), tail...)
	p.clear += len(b)
}
