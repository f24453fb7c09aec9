// Command benchbare is the bare net/http handler that make bench-http
// measures next to the console in the same run: the machine's ceiling for
// one HTTP round trip, so that the console's figures can be read as a share
// of it. It answers every request with a short text body.
//
//	go run ./e2e/benchbare 127.0.0.1:18602
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchbare HOST:PORT")
		os.Exit(2)
	}
	body := []byte("hello\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(body)
	})
	if err := http.ListenAndServe(os.Args[1], h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
