package handlers

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/klauspost/compress/flate"

	"github.com/ecsconsole/ecsconsole/web"
)

// A fragment is HTML rendered once and served in many responses: a page's
// content, the same for everyone allowed to see it, inside each viewer's
// own layout (views keeps them). Compressed responses splice it in without
// compressing it again: a gzip stream's DEFLATE data is a sequence of
// blocks, so the layout's head and tail (a few KB, per viewer) are
// compressed once per layout and the fragment's blocks, compressed when
// it is made, are copied between them.
type fragment struct {
	html []byte
	// blocks is html as DEFLATE blocks, none of them final, ending at a
	// byte boundary (a sync flush): what a stream may continue after.
	// Compressed when the fragment is made, so that what a cache holds
	// is measured once, whole (cache.Footprint).
	blocks []byte
}

// newFragment renders c once.
func newFragment(ctx context.Context, c templ.Component) (*fragment, error) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer putRenderBuffer(buf)
	if err := c.Render(ctx, buf); err != nil {
		return nil, err
	}
	// One exact copy: the pooled buffer is not grown from nothing again
	// (its doublings and their zeroing were 4% of a cold history page).
	return fragmentOf(bytes.Clone(buf.Bytes())), nil
}

// renderBuffers are reused buffers to render fragments into.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledRender is the largest buffer renderBuffers keeps: a rare huge
// page (a 3.5 MiB deployment page) is not held on to.
const maxPooledRender = 1 << 20

func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledRender {
		renderBuffers.Put(buf)
	}
}

// fragmentOf makes html a fragment, trimming the slack a growing buffer
// left (up to its length again) that a cache would otherwise hold.
func fragmentOf(html []byte) *fragment {
	if cap(html)-len(html) > len(html)/8 {
		html = bytes.Clone(html)
	}
	return &fragment{html: html, blocks: bytes.Clone(deflateBlocks(nil, html, false))}
}

// flateWriters are reused DEFLATE compressors (level 1, as compress uses).
var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// deflateBlocks appends b, compressed from a fresh state so that it refers
// to nothing before it, to dst: ending with the final block when last, else
// with a sync flush.
func deflateBlocks(dst, b []byte, last bool) []byte {
	buf := bytes.NewBuffer(dst)
	w := flateWriters.Get().(*flate.Writer)
	w.Reset(buf)
	w.Write(b)
	if last {
		w.Close()
	} else {
		w.Flush()
	}
	w.Reset(nil)
	flateWriters.Put(w)
	return buf.Bytes()
}

// contentMarker stands for the fragment in a rendered layout. Rendered
// text never holds a NUL (input with one is refused), so it cannot occur
// otherwise.
const contentMarker = "\x00ecsconsole-fragment\x00"

// A layout is a page's shell around its content, rendered and compressed
// once per title, navigation item and viewer: head and tail, and each as
// DEFLATE blocks (the head's ending at a sync flush, the tail's final).
type layout struct {
	head, tail             []byte
	headBlocks, tailBlocks []byte
}

// layoutKey is what a layout shows that varies: the rest (assets, the
// sandbox banner) is the server's.
type layoutKey struct {
	title, nav, username, role string
}

func (s *Server) layout(ctx context.Context, p web.Page) (*layout, error) {
	key := layoutKey{title: p.Title, nav: p.Nav}
	if p.Viewer != nil {
		key.username, key.role = p.Viewer.Username, p.Viewer.Role
	}
	return s.layouts.Get(ctx, key, func(ctx context.Context) (*layout, error) {
		var buf bytes.Buffer
		if err := web.Layout(p).Render(templ.WithChildren(ctx, templ.Raw(contentMarker)), &buf); err != nil {
			return nil, err
		}
		head, tail, found := bytes.Cut(buf.Bytes(), []byte(contentMarker))
		if !found {
			return nil, errors.New("the layout has no place for its content")
		}
		head, tail = bytes.Clone(head), bytes.Clone(tail)
		return &layout{head: head, tail: tail, headBlocks: deflateBlocks(nil, head, false), tailBlocks: deflateBlocks(nil, tail, true)}, nil
	})
}

// bareLayout frames a fragment served alone (htmx's live parts).
var bareLayout = &layout{headBlocks: deflateBlocks(nil, nil, false), tailBlocks: deflateBlocks(nil, nil, true)}

// renderFragment answers with f inside p's layout, or alone when p is nil.
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, status int, p *web.Page, f *fragment) {
	l := bareLayout
	if p != nil {
		var err error
		if l, err = s.layout(r.Context(), *p); err != nil {
			s.renderFailed(w, r, err)
			return
		}
	}
	writeSpliced(w, r, status, "text/html; charset=utf-8", l, f)
}

// writeSpliced answers with f in l, gzipped when the client accepts it.
func writeSpliced(w http.ResponseWriter, r *http.Request, status int, contentType string, l *layout, f *fragment) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Add("Vary", "Accept-Encoding")
	size := len(l.head) + len(f.html) + len(l.tail)
	if size < minCompressed || !acceptsGzip(r.Header.Values("Accept-Encoding")) {
		h.Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(status)
		w.Write(l.head)
		w.Write(f.html)
		w.Write(l.tail)
		return
	}
	blocks := f.blocks
	crc := crc32.Update(crc32.Update(crc32.ChecksumIEEE(l.head), crc32.IEEETable, f.html), crc32.IEEETable, l.tail)
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(size))
	// Already encoded: the compress middleware passes it through.
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(len(gzipHeader)+len(l.headBlocks)+len(blocks)+len(l.tailBlocks)+len(trailer)))
	w.WriteHeader(status)
	w.Write(gzipHeader)
	w.Write(l.headBlocks)
	w.Write(blocks)
	w.Write(l.tailBlocks)
	w.Write(trailer[:])
}

// gzipHeader is a gzip member's header (RFC 1952): DEFLATE, no name, no
// time, unknown OS. A member is this header, DEFLATE data and a trailer
// (the CRC-32 and the length of what it holds).
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

// acceptsGzip reports whether Accept-Encoding values admit gzip (RFC 9110
// 12.5.3): named with a q above 0, or else covered by "*" with one.
func acceptsGzip(values []string) bool {
	gzip, star := -1.0, -1.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				if v, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(p)), "q="); ok {
					if f, err := strconv.ParseFloat(v, 64); err == nil {
						q = f
					}
				}
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzip = max(gzip, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if gzip >= 0 {
		return gzip > 0
	}
	return star > 0
}
