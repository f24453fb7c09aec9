package main

import (
	"net/url"
	"strings"

	"github.com/ecsconsole/ecsconsole/handlers"
)

// ssoConfig is single sign-on through an OpenID Connect provider, and
// whether local (username and password) sign-in stays on.
type ssoConfig struct {
	Issuer, ClientID, ClientSecret, RedirectURL, Name string
	Scopes, GroupsClaim, AdminGroups, DeployerGroups  string
	LocalSignIn                                       bool
}

func (c *ssoConfig) register(e *envFlags) {
	e.String(&c.Issuer, "oidc-issuer", "ECSCONSOLE_OIDC_ISSUER", "", "OpenID Connect issuer URL, e.g. https://keycloak.example.com/realms/acme; turns on single sign-on")
	e.String(&c.ClientID, "oidc-client-id", "ECSCONSOLE_OIDC_CLIENT_ID", "", "OpenID Connect client id registered for the console")
	e.Secret(&c.ClientSecret, "oidc-client-secret", "ECSCONSOLE_OIDC_CLIENT_SECRET", "OpenID Connect client secret (never shown; prefer the environment variable)")
	e.String(&c.RedirectURL, "oidc-redirect-url", "ECSCONSOLE_OIDC_REDIRECT_URL", "", "callback URL registered with the provider (default: --base-url + /login/oidc/callback)")
	e.String(&c.Name, "oidc-provider-name", "ECSCONSOLE_OIDC_PROVIDER_NAME", "single sign-on", `provider name shown as "Sign in with <name>" and in the audit trail`)
	e.String(&c.Scopes, "oidc-scopes", "ECSCONSOLE_OIDC_SCOPES", "openid,profile,email,groups", "comma-separated scopes to ask for (drop groups for providers that refuse it, e.g. Google)")
	e.String(&c.GroupsClaim, "oidc-groups-claim", "ECSCONSOLE_OIDC_GROUPS_CLAIM", "groups", "ID token claim listing the user's groups")
	e.String(&c.AdminGroups, "oidc-admin-groups", "ECSCONSOLE_OIDC_ADMIN_GROUPS", "", "comma-separated groups whose members are admins")
	e.String(&c.DeployerGroups, "oidc-deployer-groups", "ECSCONSOLE_OIDC_DEPLOYER_GROUPS", "", "comma-separated groups whose members are deployers (everyone else is a viewer)")
	e.Bool(&c.LocalSignIn, "local-signin", "ECSCONSOLE_LOCAL_SIGNIN", true, "offer sign-in with a username and password (false: single sign-on only)")
}

// check refuses an incomplete provider configuration, and turning local
// sign-in off with no other way in.
func (c *ssoConfig) check(baseURL string) error {
	if c.Issuer == "" {
		if c.ClientID != "" || c.ClientSecret != "" {
			return usagef("--oidc-client-id and --oidc-client-secret need --oidc-issuer")
		}
		if !c.LocalSignIn {
			return usagef("--local-signin=false needs single sign-on: set --oidc-issuer")
		}
		return nil
	}
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usagef("invalid ECSCONSOLE_OIDC_ISSUER %q: want e.g. https://keycloak.example.com/realms/acme", c.Issuer)
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return usagef("--oidc-issuer needs --oidc-client-id and ECSCONSOLE_OIDC_CLIENT_SECRET")
	}
	if c.RedirectURL == "" && baseURL == "" {
		return usagef("--oidc-issuer needs --base-url (or --oidc-redirect-url) to tell the provider where to send people back")
	}
	if c.RedirectURL != "" {
		if u, err := url.Parse(c.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usagef("invalid ECSCONSOLE_OIDC_REDIRECT_URL %q: want e.g. https://deploy.example.com/login/oidc/callback", c.RedirectURL)
		}
	}
	return nil
}

// options is the handlers' configuration; nil without single sign-on.
func (c *ssoConfig) options() *handlers.OIDCOptions {
	if c.Issuer == "" {
		return nil
	}
	return &handlers.OIDCOptions{
		Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RedirectURL: c.RedirectURL, Name: c.Name, Scopes: list(c.Scopes),
		GroupsClaim: c.GroupsClaim, AdminGroups: list(c.AdminGroups), DeployerGroups: list(c.DeployerGroups),
	}
}

// list splits a comma-separated setting, dropping blanks.
func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
