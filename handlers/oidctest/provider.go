// Package oidctest runs a real OpenID Connect provider in a test process
// (github.com/oauth2-proxy/mockoidc: discovery, authorization with PKCE,
// token endpoint, signed ID tokens, JWKS), and lets a test spoil the next
// ID token it issues: expired, or signed with a key the provider does not
// publish.
package oidctest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// Spoil is what happens to the next ID token issued.
type Spoil int

// The ways to spoil an ID token.
const (
	// Good leaves it as issued.
	Good Spoil = iota
	// Expired sets its expiry an hour back, signed with the real key.
	Expired
	// WrongKey signs it with a key that is not in the provider's JWKS.
	WrongKey
)

// Provider is a running OpenID Connect provider.
type Provider struct {
	m        *mockoidc.MockOIDC
	real     *mockoidc.Keypair
	wrong    *mockoidc.Keypair
	mu       sync.Mutex // one request at a time: mockoidc's sessions are a plain map
	spoil    Spoil
	requests []string
}

// User is who the provider signs in next.
type User struct {
	Subject, Username, Email string
	Groups                   []string
}

// Start runs a provider on 127.0.0.1, stopped when t ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mockoidc.NewServer(key)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := mockoidc.RandomKeypair(2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{m: m, real: m.Keypair, wrong: wrong}
	if err := m.AddMiddleware(p.middleware); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return p
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.m.Issuer() }

// ClientID and ClientSecret are the console's registration.
func (p *Provider) ClientID() string     { return p.m.ClientID }
func (p *Provider) ClientSecret() string { return p.m.ClientSecret }

// Next sets who the next authorization signs in and how its ID token is
// spoiled.
func (p *Provider) Next(u User, s Spoil) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.spoil = s
	p.m.QueueUser(&mockoidc.MockUser{Subject: u.Subject, PreferredUsername: u.Username, Email: u.Email, Groups: u.Groups})
}

// Requests lists the paths of requests the provider answered.
func (p *Provider) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

func (p *Provider) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.requests = append(p.requests, r.URL.Path)
		if r.URL.Path != mockoidc.TokenEndpoint || p.spoil == Good {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			body = p.spoilToken(body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// spoilToken rewrites the token response's id_token as p.spoil says.
func (p *Provider) spoilToken(body []byte) []byte {
	var resp map[string]any
	if json.Unmarshal(body, &resp) != nil {
		return body
	}
	raw, _ := resp["id_token"].(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return body
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return body
	}
	claims := jwt.MapClaims{}
	if json.NewDecoder(bytes.NewReader(payload)).Decode(&claims) != nil {
		return body
	}
	kp := p.real
	switch p.spoil {
	case Expired:
		claims["exp"] = time.Now().Add(-time.Hour).Unix()
		claims["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		claims["nbf"] = time.Now().Add(-2 * time.Hour).Unix()
	case WrongKey:
		kp = p.wrong
	}
	signed, err := kp.SignJWT(claims)
	if err != nil {
		return body
	}
	resp["id_token"] = signed
	out, _ := json.Marshal(resp)
	p.spoil = Good
	return out
}
