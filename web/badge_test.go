package web

import (
	"bytes"
	"context"
	"testing"
)

// TestPrerenderedBadgesMatch: a prerendered badge is byte for byte what
// templ renders, and a status nobody knows is still escaped.
func TestPrerenderedBadgesMatch(t *testing.T) {
	for _, s := range append(badgeStatuses, `<b>"odd"`) {
		var fast, slow bytes.Buffer
		if err := StatusBadge(s).Render(context.Background(), &fast); err != nil {
			t.Fatal(err)
		}
		if err := renderBadge(s).Render(context.Background(), &slow); err != nil {
			t.Fatal(err)
		}
		if fast.String() != slow.String() {
			t.Errorf("badge %q: %s, want %s", s, fast.String(), slow.String())
		}
	}
	var b bytes.Buffer
	StatusBadge("rolled_back_by_ecs").Render(context.Background(), &b)
	if b.String() != `<span class="badge rolled_back_by_ecs">rolled back by ECS</span>` {
		t.Errorf("badge = %s", b.String())
	}
	b.Reset()
	StatusBadge(`<b>`).Render(context.Background(), &b)
	if bytes.Contains(b.Bytes(), []byte("<b>")) {
		t.Errorf("an unknown status is not escaped: %s", b.String())
	}
}
