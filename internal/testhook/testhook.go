// Package testhook is a webhook receiver on 127.0.0.1 for the tests of
// notifications (internal/notify, and the commands that send them in
// internal/cli): it keeps what it accepts and answers as the test says,
// and stands in for receivers that hang or are not there. It knows
// nothing of payloads, so that internal/notify's own tests can use it.
package testhook

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Request is one request a Server received.
type Request struct {
	Header http.Header
	Body   []byte
}

// Server is a webhook receiver, closed when the test ends.
type Server struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	kept []Request
}

// New starts a Server. answer, when not nil, gives the status of each
// request from its number (1 for the first) and content, and may check it;
// nil answers 200. The requests answered with a 2xx are kept: the ones a
// sender would count as delivered.
func New(t testing.TB, answer func(n int64, r Request) int) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		n := s.hits.Add(1)
		body, _ := io.ReadAll(hr.Body)
		r := Request{Header: hr.Header.Clone(), Body: body}
		code := http.StatusOK
		if answer != nil {
			code = answer(n, r)
		}
		if code >= 200 && code < 300 {
			s.mu.Lock()
			s.kept = append(s.kept, r)
			s.mu.Unlock()
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(s.Close)
	return s
}

// Hits is the number of requests received, kept or not.
func (s *Server) Hits() int64 { return s.hits.Load() }

// Requests are the requests kept so far, in the order they came.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.kept...)
}

// Bodies are the bodies of the requests kept so far, as text.
func (s *Server) Bodies() []string {
	var out []string
	for _, r := range s.Requests() {
		out = append(out, string(r.Body))
	}
	return out
}

// Take returns the requests kept since the last Take and forgets them.
func (s *Server) Take() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.kept
	s.kept = nil
	return out
}

// Silent is the URL of a receiver that accepts connections and never
// answers. stop (also run when the test ends) closes it and every
// connection it accepted, and returns once it accepts no more.
func Silent(t testing.TB) (url string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			l.Close()
			<-done
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
	}
	t.Cleanup(stop)
	return "http://" + l.Addr().String(), stop
}

// Refused is the URL of a port on 127.0.0.1 that nothing listens on.
func Refused(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
