package web

import (
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"
)

// Form is one form's state as its page shows it: what was typed and what
// was wrong with it. Every form component takes one, so a refused form looks
// the same everywhere: the message next to its field (or at the top of the
// form when it is about the whole form), and what was typed still in the
// inputs — except passwords, which are never kept.
type Form struct {
	// ID is unique on the page: the <form> element's id, and the prefix of
	// its inputs' and messages' ids.
	ID string
	// Fields are the names of the form's inputs in page order. Problems come
	// out in this order, and a problem with a name not listed here is shown
	// at the top of the form rather than lost.
	Fields []string
	// Values is what was typed, by input name. Secret inputs are not kept.
	Values map[string]string
	// Problems are messages next to fields.
	Problems []FieldProblem
	// Error is a problem with the whole form, shown at its top.
	Error string
	// Link follows Error, e.g. to the deployment already running.
	Link *Link
}

// FieldProblem is the message next to one input.
type FieldProblem struct {
	Field   string
	Message string
}

// Link is a link shown with a form's message.
type Link struct {
	Href  templ.SafeURL
	Label string
}

// Keep copies what was typed into the named inputs from a submitted form
// (url.Values), so a refused form shows it again. Bytes a page cannot show
// (NUL, invalid UTF-8) become U+FFFD.
func (f *Form) Keep(values url.Values, names ...string) {
	if f.Values == nil {
		f.Values = make(map[string]string, len(names))
	}
	for _, name := range names {
		f.Values[name] = printable(values.Get(name))
	}
}

func printable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Value is what was typed into the named input.
func (f Form) Value(name string) string { return f.Values[name] }

// Problem is the message next to the named input, "" if none.
func (f Form) Problem(name string) string {
	for _, p := range f.Problems {
		if p.Field == name {
			return p.Message
		}
	}
	return ""
}

// Refused reports whether the form was submitted and refused.
func (f Form) Refused() bool { return f.Error != "" || len(f.Problems) > 0 }

// Unplaced are the problems with no input of that name on the form; the top
// of the form shows them.
func (f Form) Unplaced() []FieldProblem {
	var out []FieldProblem
	for _, p := range f.Problems {
		if !slices.Contains(f.Fields, p.Field) {
			out = append(out, p)
		}
	}
	return out
}

// Sort orders the problems by the form's fields; unknown fields keep their
// order, last.
func (f *Form) Sort() {
	rank := func(p FieldProblem) int {
		if i := slices.Index(f.Fields, p.Field); i >= 0 {
			return i
		}
		return len(f.Fields)
	}
	slices.SortStableFunc(f.Problems, func(a, b FieldProblem) int { return rank(a) - rank(b) })
}

// InputID is the id of the named input.
func (f Form) InputID(name string) string { return f.ID + "-" + name }

// ProblemID is the id of the message next to the named input.
func (f Form) ProblemID(name string) string { return f.ID + "-" + name + "-error" }

// ErrorID is the id of the message at the top of the form.
func (f Form) ErrorID() string { return f.ID + "-error" }

// focus is the input a refused form puts the cursor in: the first with a
// problem; when the whole form was refused, the first left empty, else the
// first.
func (f Form) focus() string {
	if len(f.Problems) > 0 {
		for _, name := range f.Fields {
			if f.Problem(name) != "" {
				return name
			}
		}
		return ""
	}
	if f.Error == "" || len(f.Fields) == 0 {
		return ""
	}
	for _, name := range f.Fields {
		if f.Values[name] == "" {
			return name
		}
	}
	return f.Fields[0]
}

// Input is the attributes the named input carries: its id and, when
// refused, aria-invalid, aria-describedby naming its message, and autofocus
// on the input to fix first.
func (f Form) Input(name string) templ.Attributes {
	a := templ.Attributes{"id": f.InputID(name)}
	if f.Problem(name) != "" {
		a["aria-invalid"] = "true"
		a["aria-describedby"] = f.ProblemID(name)
	} else if f.Error != "" && len(f.Problems) == 0 {
		a["aria-describedby"] = f.ErrorID()
	}
	if f.focus() == name {
		a["autofocus"] = true
	}
	return a
}
