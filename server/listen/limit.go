package listen

import (
	"net"
	"sync"
)

// LimitConns bounds the open connections of a listener: at the bound it
// stops accepting, and the kernel's backlog holds newcomers until one
// closes. (x/net's netutil.LimitListener does the same, but its connections
// hide CloseWrite, which net/http needs to deliver a refusal of oversized
// headers before closing.)
func LimitConns(l net.Listener, n int) net.Listener {
	return &connLimit{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type connLimit struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *connLimit) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *connLimit) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitedConn gives its slot back when closed, once.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func (c *limitedConn) CloseWrite() error { return closeWrite(c.Conn) }
