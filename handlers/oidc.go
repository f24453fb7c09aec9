package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// OIDCOptions configures single sign-on through an OpenID Connect provider
// (Keycloak, Dex, Okta, Entra ID, Google...): the authorization code flow
// with PKCE, state and nonce.
type OIDCOptions struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret are the console's registration with the
	// provider. The secret is sent to the provider's token endpoint only.
	ClientID, ClientSecret string
	// RedirectURL is the callback registered with the provider:
	// <base URL>/login/oidc/callback.
	RedirectURL string
	// Name is shown on the sign-in page ("Sign in with Name") and in the
	// audit trail.
	Name string
	// Scopes asked for; "openid" is always among them.
	Scopes []string
	// GroupsClaim is the ID token claim listing the person's groups.
	GroupsClaim string
	// AdminGroups and DeployerGroups map groups to roles; anyone else who
	// signs in is a viewer.
	AdminGroups, DeployerGroups []string
}

// Session keys of a sign-in under way with the provider: kept server-side
// (in the session row), used once.
const (
	oidcStateKey    = "oidc_state"
	oidcNonceKey    = "oidc_nonce"
	oidcVerifierKey = "oidc_verifier"
	oidcNextKey     = "oidc_next"
	oidcStartedKey  = "oidc_started"
)

// oidcPendingTTL is how long a sign-in may spend at the provider.
const oidcPendingTTL = 10 * time.Minute

// oidcClient talks to the provider. Discovery happens on first use and is
// retried until it succeeds, so that a console starts while its provider is
// down and signs people in once it is back.
type oidcClient struct {
	opts OIDCOptions
	http *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
}

func newOIDCClient(opts OIDCOptions) *oidcClient {
	if opts.GroupsClaim == "" {
		opts.GroupsClaim = "groups"
	}
	if opts.Name == "" {
		opts.Name = "single sign-on"
	}
	if !slices.Contains(opts.Scopes, oidc.ScopeOpenID) {
		opts.Scopes = append([]string{oidc.ScopeOpenID}, opts.Scopes...)
	}
	return &oidcClient{opts: opts, http: &http.Client{Timeout: 10 * time.Second}}
}

// discover returns the provider's endpoints and ID token verifier.
func (c *oidcClient) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.oauth != nil {
		return c.oauth, c.verifier, nil
	}
	// The provider keeps this context to fetch signing keys later, so it
	// must outlive the request; the client's timeout bounds each fetch.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), c.http)
	provider, err := oidc.NewProvider(pctx, c.opts.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discovering the OpenID provider %s: %w", c.opts.Issuer, err)
	}
	c.oauth = &oauth2.Config{
		ClientID:     c.opts.ClientID,
		ClientSecret: c.opts.ClientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  c.opts.RedirectURL,
		Scopes:       c.opts.Scopes,
	}
	c.verifier = provider.Verifier(&oidc.Config{ClientID: c.opts.ClientID})
	return c.oauth, c.verifier, nil
}

// role maps the groups the provider names to a role: the strongest mapped.
func (c *oidcClient) role(groups []string) store.Role {
	role := store.RoleViewer
	for _, g := range groups {
		switch {
		case slices.Contains(c.opts.AdminGroups, g):
			return store.RoleAdmin
		case slices.Contains(c.opts.DeployerGroups, g):
			role = store.RoleDeployer
		}
	}
	return role
}

// oidcStart sends the browser to the provider with a fresh state, nonce
// and PKCE verifier, remembered in the session for the callback.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := userFrom(r.Context()); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	cfg, _, err := s.oidc.discover(r.Context())
	if err != nil {
		s.logger.Warn("single sign-on unavailable", "request_id", requestID(r.Context()), "error", err.Error())
		return s.refuseSSO(w, r, next, http.StatusBadGateway, s.oidc.opts.Name+" cannot be reached right now. Try again in a minute.")
	}
	state, nonce := randomToken(), randomToken()
	verifier := oauth2.GenerateVerifier()
	s.sessions.Put(r.Context(), oidcStateKey, state)
	s.sessions.Put(r.Context(), oidcNonceKey, nonce)
	s.sessions.Put(r.Context(), oidcVerifierKey, verifier)
	s.sessions.Put(r.Context(), oidcNextKey, next)
	s.sessions.Put(r.Context(), oidcStartedKey, time.Now().Unix())
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
	return nil
}

// oidcPending is a sign-in started by oidcStart, taken out of the session
// (each is used once).
type oidcPending struct {
	state, nonce, verifier, next string
	started                      time.Time
}

func (s *Server) takeOIDCPending(ctx context.Context) oidcPending {
	started := s.sessions.GetInt64(ctx, oidcStartedKey)
	s.sessions.Remove(ctx, oidcStartedKey)
	return oidcPending{
		state:    s.sessions.PopString(ctx, oidcStateKey),
		nonce:    s.sessions.PopString(ctx, oidcNonceKey),
		verifier: s.sessions.PopString(ctx, oidcVerifierKey),
		next:     safeNext(s.sessions.PopString(ctx, oidcNextKey)),
		started:  time.Unix(started, 0),
	}
}

// oidcCallback finishes a sign-in: it checks the state, exchanges the code
// (with the PKCE verifier), verifies the ID token and its nonce, and signs
// in the user linked to the token's issuer and subject.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pending := s.takeOIDCPending(r.Context())
	name := s.oidc.opts.Name
	if _, ok := userFrom(r.Context()); ok && pending.state == "" {
		// A reload of the callback once signed in.
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	if pending.state == "" || subtle.ConstantTimeCompare([]byte(pending.state), []byte(q.Get("state"))) != 1 {
		s.oidcFailure(r, "", "state does not match a sign-in started here")
		return s.refuseSSO(w, r, pending.next, http.StatusBadRequest,
			"This sign-in was not started from this browser, or was already used. Nothing was signed in; start again.")
	}
	if time.Since(pending.started) > oidcPendingTTL {
		s.oidcFailure(r, "", "sign-in took too long")
		return s.refuseSSO(w, r, pending.next, http.StatusBadRequest, "This sign-in took more than 10 minutes. Start again.")
	}
	if e := q.Get("error"); e != "" {
		s.oidcFailure(r, "", "provider refused: "+e)
		msg := name + " did not sign you in (" + e + ")."
		if d := q.Get("error_description"); d != "" {
			msg = name + " did not sign you in: " + d
		}
		return s.refuseSSO(w, r, pending.next, http.StatusForbidden, msg)
	}
	cfg, verifier, err := s.oidc.discover(r.Context())
	if err != nil {
		s.logger.Warn("single sign-on unavailable", "request_id", requestID(r.Context()), "error", err.Error())
		return s.refuseSSO(w, r, pending.next, http.StatusBadGateway, name+" cannot be reached right now. Try again in a minute.")
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, s.oidc.http)
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pending.verifier))
	if err != nil {
		s.oidcFailure(r, "", "code exchange failed: "+err.Error())
		return s.refuseSSO(w, r, pending.next, http.StatusBadGateway, name+" did not accept the sign-in code. Start again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.oidcFailure(r, "", "no ID token in the token response")
		return s.refuseSSO(w, r, pending.next, http.StatusBadGateway, name+" sent no ID token. Check that the client is an OpenID Connect client.")
	}
	idToken, err := verifier.Verify(oidc.ClientContext(r.Context(), s.oidc.http), raw)
	if err == nil && subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(pending.nonce)) != 1 {
		err = errors.New("nonce does not match")
	}
	if err != nil {
		s.oidcFailure(r, "", "ID token refused: "+err.Error())
		return s.refuseSSO(w, r, pending.next, http.StatusUnauthorized,
			"The identity "+name+" sent could not be verified (expired, or not signed by "+name+"). Nothing was signed in; start again.")
	}
	id, err := s.oidc.identity(idToken)
	if err != nil {
		s.oidcFailure(r, "", err.Error())
		return s.refuseSSO(w, r, pending.next, http.StatusUnauthorized, "The identity "+name+" sent is incomplete: "+err.Error()+".")
	}
	in, err := s.store.SignInOIDC(r.Context(), id)
	if err != nil {
		return err
	}
	if in.User.Disabled {
		s.oidcFailure(r, in.User.Username, "user is disabled")
		return s.refuseSSO(w, r, pending.next, http.StatusForbidden, "Your ecsconsole account is disabled. Ask an admin to enable it.")
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionUserID, in.User.ID)
	setLogUser(r, in.User.Username)
	s.audit(r, store.AuditEvent{Actor: in.User.Username, Action: "login.success", Detail: map[string]any{
		"provider": name, "issuer": id.Issuer, "role": string(in.User.Role),
		"first_sign_in": in.Created, "renamed": in.Renamed,
	}})
	http.Redirect(w, r, pending.next, http.StatusSeeOther)
	return nil
}

// identity reads the person out of a verified ID token.
func (c *oidcClient) identity(t *oidc.IDToken) (store.OIDCIdentity, error) {
	var claims map[string]any
	if err := t.Claims(&claims); err != nil {
		return store.OIDCIdentity{}, fmt.Errorf("unreadable claims")
	}
	if t.Subject == "" {
		return store.OIDCIdentity{}, fmt.Errorf("no subject")
	}
	name, _ := claims["preferred_username"].(string)
	if name == "" {
		name, _ = claims["email"].(string)
	}
	return store.OIDCIdentity{Issuer: t.Issuer, Subject: t.Subject, Name: name, Role: c.role(claimStrings(claims[c.opts.GroupsClaim]))}, nil
}

// claimStrings is a claim as a list of strings: providers send groups as
// an array, and some send one group as a string.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// oidcFailure audits a refused single sign-on, naming the provider.
func (s *Server) oidcFailure(r *http.Request, actor, reason string) {
	if actor == "" {
		actor = "(" + s.oidc.opts.Name + ")"
	}
	s.audit(r, store.AuditEvent{Actor: actor, Action: "login.failure", Detail: map[string]any{"provider": s.oidc.opts.Name, "reason": reason}})
}

// refuseSSO shows the sign-in page with msg, with status.
func (s *Server) refuseSSO(w http.ResponseWriter, r *http.Request, next string, status int, msg string) error {
	f := web.LoginForm(next)
	f.Error = msg
	return s.loginForm(w, r, status, f)
}

// signInOptions is what the sign-in page offers, for next.
func (s *Server) signInOptions(next string) web.SignInOptions {
	o := web.SignInOptions{Local: !s.opts.DisableLocalSignIn}
	if s.oidc != nil {
		o.Provider = s.oidc.opts.Name
		o.ProviderURL = "/login/oidc?next=" + url.QueryEscape(next)
	}
	return o
}

// randomToken is 32 random bytes, base64url: a state or a nonce.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oidcRedirectURL is the callback address under baseURL.
func oidcRedirectURL(baseURL string) string {
	return strings.TrimRight(baseURL, "/") + "/login/oidc/callback"
}
