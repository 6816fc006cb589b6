package kube

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// service stands for the chart's Service and kube-proxy, which do not exist without nodes:
// a TCP proxy on loopback that spreads connections over the ready replicas it is given, as
// the endpoints of a Service hold only ready Pods. webhook.url points the API server at it.
type service struct {
	ln       net.Listener
	mu       sync.Mutex
	backends []string
	next     int
}

func newService(t *testing.T) *service {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &service{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.forward(c)
		}
	}()
	return s
}

func (s *service) addr() string { return s.ln.Addr().String() }

func (s *service) add(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backends = append(s.backends, addr)
}

// remove stops sending new connections to addr; those open stay until the replica closes them.
func (s *service) remove(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, b := range s.backends {
		if b == addr {
			s.backends = append(s.backends[:i], s.backends[i+1:]...)
			return
		}
	}
}

func (s *service) forward(c net.Conn) {
	defer c.Close()
	s.mu.Lock()
	if len(s.backends) == 0 {
		s.mu.Unlock()
		return
	}
	backend := s.backends[s.next%len(s.backends)]
	s.next++
	s.mu.Unlock()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(b, c); b.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, b); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// templateHash names a Deployment's pod template, as the Deployment controller's
// pod-template-hash does: a new one means a rollout.
func templateHash(t *testing.T, d *appsv1.Deployment) string {
	t.Helper()
	raw, err := json.Marshal(d.Spec.Template)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
