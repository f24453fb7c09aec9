package handlers

import "net/http"

// noStore tells browsers and proxies to keep no copy of a page behind a
// session: a signed-in page shows one person's data, and a form restored
// from a cache (the browser's Back, the back/forward cache) would post
// values older than what is saved. Back then asks the server again.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
