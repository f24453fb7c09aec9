package draft_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/draft"
)

// Spec → draft → spec is the identity: every field the wizard shows and
// every one it does not (volumes, ulimits, a health check's interval, an
// awslogs option, tags, …) survives the form untouched, through the stored
// format too. Both mappings are tied by this test: a change to one that
// the other does not mirror fails it.
func TestSpecDraftSpecIsTheIdentity(t *testing.T) {
	corpus := readCorpus(t)
	for i, raw := range corpus {
		spec, err := deploy.Parse(raw)
		if err != nil {
			t.Fatalf("corpus spec %d: %v", i, err)
		}
		st := draft.FromSpec(spec, "us-east-1")
		stored, err := draft.Decode(st.Encode())
		if err != nil {
			t.Fatalf("spec %d: decoding the stored draft: %v", i, err)
		}
		again, problems := stored.Spec("us-east-1", nil)
		if len(problems) > 0 {
			t.Fatalf("spec %d: the draft made from it is refused: %v", i, problems)
		}
		if got, want := string(again.JSON()), string(spec.JSON()); got != want {
			t.Errorf("spec %d: spec → draft → spec changed it:\n got %s\nwant %s", i, got, want)
		}
	}
}

// A draft written before the format had a version reads as version 1; one
// from a newer console is refused rather than misread.
func TestDraftFormatVersion(t *testing.T) {
	st, err := draft.Decode([]byte(`{"region":"us-east-1","family":"web","containers":[{"name":"web","image":"nginx"}]}`))
	if err != nil || st.Format != draft.FormatVersion || st.Family != "web" {
		t.Errorf("an unversioned draft: %+v, %v", st, err)
	}
	if _, err := draft.Decode([]byte(`{"format": 99}`)); err == nil {
		t.Error("a draft of a newer format was read")
	}
}

// The wizard hands its spec to the engine as values (deploy.ParseDocument),
// not as text: the engine must judge it exactly as it judges the same spec
// sent as JSON, valid or not.
func TestSpecAsValuesIsJudgedAsItsText(t *testing.T) {
	corpus := readCorpus(t)
	var states []*draft.State
	for _, raw := range corpus {
		spec, err := deploy.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, draft.FromSpec(spec, "us-east-1"))
	}
	badState := func() *draft.State {
		bad := draft.Example("us-east-1", "")
		bad.Containers[0].Image, bad.Containers[1].Extra = "", map[string]any{"privileged": true, "linuxParameters": map[string]any{"bogus": json.Number("1")}}
		bad.TDExtra = map[string]any{"volumes": "not a list"}
		return bad
	}
	states = append(states, draft.Example("us-east-1", "arn:aws:iam::123456789012:role/x"), badState())
	for i, st := range states {
		doc, _ := st.SpecDoc()
		fromText, textErr := deploy.ParseWithDefaultRegion(draft.MarshalJSON(doc), "us-east-1")
		fromValues, valuesErr := deploy.ParseDocument(doc, "us-east-1")
		if fmt.Sprint(textErr) != fmt.Sprint(valuesErr) {
			t.Errorf("state %d: as text %v, as values %v", i, textErr, valuesErr)
		}
		if textErr == nil && string(fromText.JSON()) != string(fromValues.JSON()) {
			t.Errorf("state %d: as text %s, as values %s", i, fromText.JSON(), fromValues.JSON())
		}
	}
	bad := badState()
	if _, ps := bad.Spec("us-east-1", nil); len(ps) == 0 {
		t.Error("the bad state is accepted")
	}
	if _, ok := bad.Containers[1].Extra["linuxParameters"].(map[string]any)["bogus"]; !ok {
		t.Error("judging the spec removed a member from the draft's own state")
	}
}

// readCorpus reads the specs of testdata/roundtrip-specs.json.
func readCorpus(t *testing.T) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile("testdata/roundtrip-specs.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus []json.RawMessage
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatal(err)
	}
	return corpus
}
