package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// tokenOwner is whose tokens a route manages: any user's for admins
// (/users/{id}/tokens), one's own for everyone (/account/tokens).
type tokenOwner struct {
	user   func(r *http.Request) (store.User, error)
	base   func(u store.User) string
	render func(w http.ResponseWriter, r *http.Request, status int, u store.User, tokens web.TokenList, flash string) error
}

func (s *Server) adminTokenOwner() tokenOwner {
	return tokenOwner{
		user: s.userParam,
		base: func(u store.User) string { return "/users/" + strconv.FormatInt(u.ID, 10) },
		render: func(w http.ResponseWriter, r *http.Request, status int, u store.User, t web.TokenList, flash string) error {
			return s.renderUser(w, r, status, u, web.UserDetail{Tokens: t, Flash: flash})
		},
	}
}

func (s *Server) selfTokenOwner() tokenOwner {
	return tokenOwner{
		user: func(r *http.Request) (store.User, error) { u, _ := userFrom(r.Context()); return u, nil },
		base: func(store.User) string { return "/account" },
		render: func(w http.ResponseWriter, r *http.Request, status int, u store.User, t web.TokenList, flash string) error {
			return s.renderAccount(w, r, status, web.Account{Tokens: t, Flash: flash})
		},
	}
}

func tokenRows(tokens []store.APIToken) []web.TokenRow {
	rows := make([]web.TokenRow, len(tokens))
	for i, t := range tokens {
		rows[i] = web.TokenRow{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, Revoked: t.RevokedAt != nil}
	}
	return rows
}

func (s *Server) createToken(o tokenOwner) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := o.user(r)
		if err != nil {
			return err
		}
		form := web.TokenForm()
		form.Keep(postForm(r), "name")
		t, secret, err := s.store.CreateToken(r.Context(), u.ID, r.PostFormValue("name"))
		if err != nil {
			return refuse(err, form, func(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
				return o.render(w, r, status, u, web.TokenList{Form: f}, "")
			})
		}
		s.auditAs(r, "token.create", u.Username, map[string]any{"token_id": t.ID, "name": t.Name})
		// The secret is in this response only (it is not stored), so no redirect.
		w.Header().Set("Cache-Control", "no-store")
		return o.render(w, r, http.StatusCreated, u, web.TokenList{NewToken: secret}, "Token "+t.Name+" created.")
	}
}

func (s *Server) revokeToken(o tokenOwner) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := o.user(r)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(chi.URLParam(r, "token"), 10, 64)
		if err != nil {
			return errNotFound("There is no such token.")
		}
		t, err := s.store.TokenByID(r.Context(), id)
		if errors.Is(err, ecsconsole.ErrNotFound) || (err == nil && t.UserID != u.ID) {
			return errNotFound("There is no such token.")
		}
		if err != nil {
			return err
		}
		if err := s.store.RevokeToken(r.Context(), id); err != nil {
			return err
		}
		s.auditAs(r, "token.revoke", u.Username, map[string]any{"token_id": t.ID, "name": t.Name})
		s.sessions.Put(r.Context(), flashKey, "Token "+t.Name+" revoked.")
		http.Redirect(w, r, o.base(u), http.StatusSeeOther)
		return nil
	}
}
