// Package static holds the console's embedded assets — vendored htmx and
// Pico CSS (see vendor.sh and vendor/VERSIONS) and its own CSS and JS — and
// serves them under content-hashed URLs with immutable cache headers.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed vendor/*.js vendor/*.css app.css app.js wizard.js favicon.svg
var files embed.FS

// Assets maps logical asset names to their hashed URLs and serves them.
type Assets struct {
	byName map[string]string // "app.css" → "/static/app.3f2a9c1d.css"
	byURL  map[string]string // "/static/app.3f2a9c1d.css" → "app.css"
}

// Prefix is where assets are served.
const Prefix = "/static/"

// New hashes every embedded asset once.
func New() (*Assets, error) {
	a := &Assets{byName: map[string]string{}, byURL: map[string]string{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		url := Prefix + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		a.byName[name] = url
		a.byURL[url] = name
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hashing static assets: %w", err)
	}
	return a, nil
}

// URL returns the hashed URL of an asset such as "app.css" or
// "vendor/htmx.min.js". An unknown name is a programming error.
func (a *Assets) URL(name string) string {
	u, ok := a.byName[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return u
}

// ServeHTTP serves a hashed URL with a year-long immutable cache lifetime;
// anything else is 404.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := a.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeFileFS(w, r, files, name)
}
