package diff

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		config  string // --config as the Factory holds it
		want    DiffOptions
		wantErr bool
	}{
		{nil, "", DiffOptions{Output: "table"}, false},
		{[]string{"--config", "c.yaml", "--dir", "d", "--json"}, "c.yaml", DiffOptions{Target: catalogflags.Flags{Dir: "d"}, Output: "json"}, false},
		{[]string{"--dir", "d", "-o", "json"}, "", DiffOptions{Target: catalogflags.Flags{Dir: "d"}, Output: "json"}, false},
		{[]string{"a", "b"}, "", DiffOptions{}, true},
	} {
		var got *DiffOptions
		f, _ := clitest.New()
		cmd := NewCmdDiff(f, func(o *DiffOptions) error { got = o; return nil })
		err := clitest.Run(f, cmd, tc.args...).Err
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil && (f.ConfigFlag != tc.config || got.Target.Dir != tc.want.Target.Dir || got.Output != tc.want.Output) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
