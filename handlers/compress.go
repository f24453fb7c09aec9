package handlers

import (
	"mime"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
)

// compressedTypes are the media types worth compressing: pages, JSON,
// exports and the text assets. Anything else, text/event-stream above all,
// passes through untouched, so a server-sent event reaches the browser
// when its handler flushes it, not when a compressor's buffer fills.
var compressedTypes = map[string]bool{
	"text/html": true, "application/json": true, "text/csv": true, "text/plain": true,
	"text/css": true, "text/javascript": true, "application/javascript": true, "image/svg+xml": true,
}

// minCompressed is the smallest body worth compressing.
const minCompressed = 1024

// compressible reports whether a response of content type ct is compressed.
func compressible(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && compressedTypes[mt]
}

// compress gzips (or zstd-encodes, when the client prefers it) responses of
// the compressedTypes from 1 KiB up, with klauspost/compress's gzhttp: a
// maintained middleware whose encoders cost about half the CPU of the
// standard library's, which matters more here than the last few percent of
// size (level 1: a history page still shrinks about tenfold). It keeps
// http.Flusher working, and adds Vary: Accept-Encoding.
func (s *Server) compress(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.CompressionLevel(gzip.BestSpeed),
		gzhttp.MinSize(minCompressed),
		gzhttp.ContentTypeFilter(compressible),
	)
	if err != nil { // the options above are constants
		panic(err)
	}
	return wrap(next)
}
