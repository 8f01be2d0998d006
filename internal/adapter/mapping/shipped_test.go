package mapping

import (
	"testing"

	"github.com/tunduk-kg/tunduk/configs"
	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
)

// The mappings shipped in configs/mappings load, cover every check and use
// all three body styles.
func TestShippedMappings(t *testing.T) {
	ms, err := LoadDir("../../../configs/mappings")
	if err != nil {
		t.Fatal(err)
	}
	styles := map[Style]bool{}
	for _, m := range ms {
		styles[m.Style] = true
		if !m.Public && m.Discover == "" {
			t.Errorf("%s: non-public without discover", m.File)
		}
	}
	if len(ms) != len(checks.All()) || len(styles) != 3 {
		t.Errorf("%d mappings, styles %v; want one per check in all three styles", len(ms), styles)
	}
	embedded, err := LoadFS(configs.Mappings, "mappings")
	if err != nil || len(embedded) != len(ms) {
		t.Errorf("embedded mappings: %d, %v", len(embedded), err)
	}
}
