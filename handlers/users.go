package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// flashKey is the session key of a one-time message shown after a redirect.
const flashKey = "flash"

func roleNames() []string {
	names := make([]string, len(store.Roles))
	for i, r := range store.Roles {
		names[i] = string(r)
	}
	return names
}

func userRow(u store.User) web.UserRow {
	return web.UserRow{ID: u.ID, Username: u.Username, Role: string(u.Role), Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, web.NewUserForm(), s.sessions.PopString(r.Context(), flashKey))
}

// usersForm is the users page showing the add-user form f.
func (s *Server) usersForm(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
	return s.renderUsers(w, r, status, f, "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, form web.Form, flash string) error {
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	d := web.UsersList{Form: form, Roles: roleNames(), Flash: flash}
	for _, u := range users {
		d.Users = append(d.Users, userRow(u))
	}
	s.render(w, r, status, web.UsersPage(s.page(r, "Users", "users"), d))
	return nil
}

// errUsernameTaken is the refusal of a username someone already has.
var errUsernameTaken = kindConflict.err("That username is taken.", FieldError{Path: "username", Message: "That username is taken."})

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	form := web.NewUserForm()
	form.Keep(postForm(r), "username", "role") // never the password
	username := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	u, err := s.store.CreateUser(r.Context(), username, store.Role(r.PostFormValue("role")), r.PostFormValue("password"))
	if errors.Is(err, ecsconsole.ErrConflict) {
		err = errUsernameTaken
	}
	if err != nil {
		return refuse(err, form, s.usersForm)
	}
	s.auditAs(r, "user.create", u.Username, map[string]any{"role": u.Role})
	s.sessions.Put(r.Context(), flashKey, "Added "+u.Username+".")
	http.Redirect(w, r, "/users", http.StatusSeeOther)
	return nil
}

// userParam loads the user named by the {id} URL parameter.
func (s *Server) userParam(r *http.Request) (store.User, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return store.User{}, errNotFound("There is no such user.")
	}
	u, err := s.store.UserByID(r.Context(), id)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return store.User{}, errNotFound("There is no such user.")
	}
	return u, err
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userParam(r)
	if err != nil {
		return err
	}
	return s.renderUser(w, r, http.StatusOK, u, web.UserDetail{Flash: s.sessions.PopString(r.Context(), flashKey)})
}

// renderUser renders u's page; d's forms, when set, are shown as they are.
func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, status int, u store.User, d web.UserDetail) error {
	tokens, err := s.store.ListTokens(r.Context(), u.ID)
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	d.User, d.Self, d.Roles = userRow(u), me.ID == u.ID, roleNames()
	if d.Access.ID == "" {
		d.Access = web.AccessForm(string(u.Role))
	}
	if d.Tokens.Form.ID == "" {
		d.Tokens.Form = web.TokenForm()
	}
	d.Tokens.Tokens = tokenRows(tokens)
	s.render(w, r, status, web.UserDetailPage(s.page(r, u.Username, "users"), d))
	return nil
}

// errChangeSelf refuses an admin's change to their own access.
var errChangeSelf = kindConflict.err("You cannot change your own role or disable yourself; ask another admin.")

// changeUser applies an admin's change to another user; admins cannot
// demote or disable themselves, so the console always keeps an admin.
func (s *Server) changeUser(action string, apply func(r *http.Request, u store.User) (map[string]any, string, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := s.userParam(r)
		if err != nil {
			return err
		}
		form := web.AccessForm(string(u.Role))
		if posted := postForm(r); posted.Has("role") {
			form.Keep(posted, "role")
		}
		page := func(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
			return s.renderUser(w, r, status, u, web.UserDetail{Access: f})
		}
		if me, _ := userFrom(r.Context()); me.ID == u.ID {
			return refuse(errChangeSelf, form, page)
		}
		detail, flash, err := apply(r, u)
		if err != nil {
			return refuse(err, form, page)
		}
		s.auditAs(r, action, u.Username, detail)
		s.sessions.Put(r.Context(), flashKey, flash)
		http.Redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
		return nil
	}
}

func (s *Server) setRole(r *http.Request, u store.User) (map[string]any, string, error) {
	role := store.Role(r.PostFormValue("role"))
	if err := s.store.SetRole(r.Context(), u.ID, role); err != nil {
		return nil, "", err
	}
	return map[string]any{"from": u.Role, "to": role}, u.Username + " is now " + string(role) + ".", nil
}

func (s *Server) disableUser(r *http.Request, u store.User) (map[string]any, string, error) {
	return nil, u.Username + " is disabled.", s.store.SetDisabled(r.Context(), u.ID, true)
}

func (s *Server) enableUser(r *http.Request, u store.User) (map[string]any, string, error) {
	return nil, u.Username + " is enabled.", s.store.SetDisabled(r.Context(), u.ID, false)
}

// auditAs records an action by the signed-in user.
func (s *Server) auditAs(r *http.Request, action, target string, detail map[string]any) {
	me, _ := userFrom(r.Context())
	s.audit(r, store.AuditEvent{Actor: me.Username, Action: action, Target: target, Detail: detail})
}
