package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

func TestSignInOIDC(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	local, err := s.CreateUser(ctx, "alice", store.RoleAdmin, "a long local password")
	if err != nil {
		t.Fatal(err)
	}
	const iss = "https://id.example.com"
	alice := store.OIDCIdentity{Issuer: iss, Subject: "42", Name: "Alice", Role: store.RoleViewer}

	// The provider's Alice is not the local alice: a new viewer with a suffixed name.
	in, err := s.SignInOIDC(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if !in.Created || !in.Renamed || in.User.ID == local.ID || !strings.HasPrefix(in.User.Username, "alice-") || in.User.Role != store.RoleViewer {
		t.Fatalf("first sign-in = %+v, want a new, renamed viewer", in)
	}
	if u, _ := s.UserByID(ctx, local.ID); u.Role != store.RoleAdmin {
		t.Errorf("the local alice became %s", u.Role)
	}

	// The same identity again: the same user, its role from this sign-in's groups.
	alice.Role = store.RoleDeployer
	again, err := s.SignInOIDC(ctx, alice)
	if err != nil || again.Created || again.User.ID != in.User.ID || again.User.Role != store.RoleDeployer {
		t.Fatalf("second sign-in = %+v, %v; want the same user, now a deployer", again, err)
	}

	// Disabled: returned disabled, role untouched.
	if err := s.SetDisabled(ctx, in.User.ID, true); err != nil {
		t.Fatal(err)
	}
	alice.Role = store.RoleAdmin
	off, err := s.SignInOIDC(ctx, alice)
	if err != nil || !off.User.Disabled || off.User.Role != store.RoleDeployer {
		t.Errorf("disabled sign-in = %+v, %v; want disabled and unchanged", off, err)
	}

	// No password signs an OIDC user in, and asking is no error.
	for _, pw := range []string{"", "a long local password"} {
		if _, err := s.Authenticate(ctx, in.User.Username, pw); !errors.Is(err, store.ErrInvalidCredentials) {
			t.Errorf("password sign-in of an OIDC user with %q: %v", pw, err)
		}
	}

	// The same subject at another issuer is another person.
	other, err := s.SignInOIDC(ctx, store.OIDCIdentity{Issuer: "https://other.example.com", Subject: "42", Name: "bob", Role: store.RoleViewer})
	if err != nil || other.User.ID == in.User.ID || other.User.Username != "bob" {
		t.Errorf("other issuer = %+v, %v", other, err)
	}

	// Concurrent first sign-ins of one identity make one user.
	var wg sync.WaitGroup
	ids := make([]int64, 4)
	for i := range ids {
		wg.Go(func() {
			in, err := s.SignInOIDC(ctx, store.OIDCIdentity{Issuer: iss, Subject: "7", Name: "carol@example.com", Role: store.RoleViewer})
			if err != nil {
				t.Error(err)
			}
			ids[i] = in.User.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("concurrent first sign-ins made users %v", ids)
			break
		}
	}
}

func TestOIDCUsername(t *testing.T) {
	for in, want := range map[string]string{
		"Jane.Doe":              "jane.doe",
		"jane@example.com":      "jane-example.com",
		"__x":                   "x",
		"Zoë Ångström":          "zo---ngstr-m",
		strings.Repeat("a", 80): strings.Repeat("a", 56),
		"":                      "sub-1",
	} {
		if got := store.OIDCUsername(in, "sub-1"); got != want {
			t.Errorf("OIDCUsername(%q) = %q, want %q", in, got, want)
		}
	}
}
