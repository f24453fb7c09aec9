package deploy

// The strict JSON reading: a token scanner that reports a syntax error,
// a duplicate member or too deep nesting at its path, line and column,
// before anything is decoded.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ecsconsole/ecsconsole"
)

// maxNesting bounds how deep JSON may nest; the deepest legitimate path
// (a container's log secret options) is under ten levels.
const maxNesting = 64

// checkSyntax scans data token by token so that a syntax error, a repeated
// member or excessive nesting is reported with the path where it occurs.
// It also requires the document to be a single object.
func checkSyntax(data []byte) *ecsconsole.Problem {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	s := syntaxScan{dec: dec, data: data}
	return s.run()
}

// syntaxScan tracks where in the document the decoder is.
type syntaxScan struct {
	dec   *json.Decoder
	data  []byte
	stack []*scanFrame
	done  bool  // the top-level object has closed
	end   int64 // the offset just after it
}

type scanFrame struct {
	path   string
	object bool
	keys   map[string]bool
	key    string // the current member's name (objects)
	inKey  bool   // the next string is a member name (objects)
	index  int    // the current element (arrays)
}

func (s *syntaxScan) run() *ecsconsole.Problem {
	for {
		tok, err := s.dec.Token()
		if errors.Is(err, io.EOF) {
			switch {
			case len(s.stack) > 0:
				return s.atOffset(int64(len(s.data)), "the JSON ends early; close every string, [ and {")
			case !s.done:
				return &ecsconsole.Problem{Message: "the spec is empty; send a JSON object"}
			}
			return nil
		}
		if s.done {
			return s.trailingData()
		}
		if err != nil {
			return s.syntaxProblem(err)
		}
		if p := s.token(tok); p != nil {
			return p
		}
	}
}

func (s *syntaxScan) token(tok json.Token) *ecsconsole.Problem {
	if len(s.stack) == 0 {
		if tok != json.Delim('{') {
			return &ecsconsole.Problem{Message: "the spec must be a JSON object, starting with {"}
		}
	}
	top := s.top()
	if top != nil && top.object && top.inKey {
		if key, ok := tok.(string); ok {
			if top.keys[key] {
				return &ecsconsole.Problem{Path: joinKey(top.path, key), Message: "appears twice in the same object; keep one"}
			}
			top.keys[key], top.key, top.inKey = true, key, false
			return nil
		}
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		if len(s.stack) >= maxNesting {
			return &ecsconsole.Problem{Path: s.valuePath(), Message: fmt.Sprintf("nests deeper than %d levels", maxNesting)}
		}
		s.stack = append(s.stack, &scanFrame{path: s.valuePath(), object: tok == json.Delim('{'), keys: map[string]bool{}, inKey: true})
		return nil
	case json.Delim('}'), json.Delim(']'):
		s.stack = s.stack[:len(s.stack)-1]
	}
	s.valueDone()
	return nil
}

func (s *syntaxScan) top() *scanFrame {
	if len(s.stack) == 0 {
		return nil
	}
	return s.stack[len(s.stack)-1]
}

// valuePath is the path of the value about to be read.
func (s *syntaxScan) valuePath() string {
	top := s.top()
	switch {
	case top == nil:
		return ""
	case top.object && top.inKey:
		return top.path
	case top.object:
		return joinKey(top.path, top.key)
	default:
		return fmt.Sprintf("%s[%d]", top.path, top.index)
	}
}

// valueDone moves past a complete value.
func (s *syntaxScan) valueDone() {
	top := s.top()
	switch {
	case top == nil:
		s.done, s.end = true, s.dec.InputOffset()
	case top.object:
		top.inKey = true
	default:
		top.index++
	}
}

// trailingData reports anything but whitespace after the top-level object.
func (s *syntaxScan) trailingData() *ecsconsole.Problem {
	end := s.end
	rest := s.data[end:]
	end += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
	return s.atOffset(end, "unexpected data after the spec's closing brace; send exactly one JSON object")
}

// syntaxProblem locates a decoder error. Token returns *json.SyntaxError for
// malformed input and io.ErrUnexpectedEOF when the input stops mid-value.
func (s *syntaxScan) syntaxProblem(err error) *ecsconsole.Problem {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return s.atOffset(se.Offset, "invalid JSON: "+se.Error()+"; fix the syntax here")
	}
	return s.atOffset(int64(len(s.data)), "the JSON ends early; close every string, [ and {")
}

func (s *syntaxScan) atOffset(offset int64, msg string) *ecsconsole.Problem {
	line, col := lineColumn(s.data, offset)
	return &ecsconsole.Problem{Path: s.valuePath(), Message: fmt.Sprintf("line %d, column %d: %s", line, col, msg)}
}

// lineColumn converts the count of bytes before a position to its 1-based
// line and column.
func lineColumn(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
