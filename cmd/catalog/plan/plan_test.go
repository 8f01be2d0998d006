package plan

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		config  string // --config as the Factory holds it
		want    PlanOptions
		wantErr bool
	}{
		{nil, "", PlanOptions{Output: "table"}, false},
		{[]string{"--config", "c.yaml", "--dir", "d", "--json"}, "c.yaml", PlanOptions{Target: catalogflags.Flags{Dir: "d"}, Output: "json"}, false},
		{[]string{"--dir", "d", "-o", "json"}, "", PlanOptions{Target: catalogflags.Flags{Dir: "d"}, Output: "json"}, false},
		{[]string{"a", "b"}, "", PlanOptions{}, true},
		{[]string{"cat", "--dir", "d"}, "", PlanOptions{}, true}, // the directory given twice
		{[]string{"cat"}, "", PlanOptions{Target: catalogflags.Flags{Arg: "cat"}, Output: "table"}, false},
		{[]string{"--api-key", "k"}, "", PlanOptions{}, true},
	} {
		var got *PlanOptions
		f, _ := clitest.New()
		cmd := NewCmdPlan(f, func(o *PlanOptions) error { got = o; return nil })
		err := clitest.Run(f, cmd, tc.args...).Err
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil && (f.ConfigFlag != tc.config || got.Target.Dir != tc.want.Target.Dir || got.Target.Arg != tc.want.Target.Arg || got.Output != tc.want.Output) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
