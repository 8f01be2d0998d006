package diff

import (
	"bytes"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/catalog/plan"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    DiffOptions
		wantErr bool
	}{
		{nil, DiffOptions{ConfigPath: plan.DefaultConfig}, false},
		{[]string{"--config", "c.yaml", "--dir", "d", "--json"}, DiffOptions{ConfigPath: "c.yaml", Dir: "d", JSON: true}, false},
		{[]string{"extra"}, DiffOptions{}, true},
	} {
		var got *DiffOptions
		f := &cli.Factory{IO: cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
		cmd := NewCmdDiff(f, func(o *DiffOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil && (got.ConfigPath != tc.want.ConfigPath || got.Dir != tc.want.Dir || got.JSON != tc.want.JSON) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
