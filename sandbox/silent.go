package sandbox

import (
	"net"
	"sync"
)

// Silent is an endpoint that accepts TCP connections and never answers:
// an AWS gone quiet behind a firewall or a broken proxy, for tests of what
// a client does then. The sandbox's SetLatency delays answers; this gives
// none at all.
type Silent struct {
	ln   net.Listener
	mu   sync.Mutex
	held []net.Conn
}

// NewSilent listens on a loopback port and holds every connection made
// to it until Close.
func NewSilent() (*Silent, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Silent{ln: ln}
	go s.hold()
	return s, nil
}

func (s *Silent) hold() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.held = append(s.held, c)
		s.mu.Unlock()
	}
}

// URL is the endpoint, for an SDK's base endpoint.
func (s *Silent) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops listening and drops the held connections.
func (s *Silent) Close() {
	s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.held {
		c.Close()
	}
	s.held = nil
}
