package catalogflags

import (
	"testing"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

// The arguments of wsdl and openapi: SERVICE [DIR], the directory given
// once (argument or --dir), and none at all refused without a
// configuration.
func TestDescribeFlags(t *testing.T) {
	newCmd := func(f *cli.Factory, runF func(*Describe) error) *cobra.Command {
		d := &Describe{}
		return NewDescribeCmd(f, &cobra.Command{Use: "wsdl SERVICE [DIR]"}, d, nil, func() error { return runF(d) })
	}
	clitest.CheckFlags(t, newCmd, func(d *Describe) { *d = DescribeAt(d.Dir, d.Service) }, []clitest.FlagCase[Describe]{
		{Args: []string{"getSupplierInfo", "c"}, Want: DescribeAt("c", "getSupplierInfo")},
		{Args: []string{"--dir", "d", "x/v1"}, Want: DescribeAt("d", "x/v1")},
		{Args: []string{"getSupplierInfo"}, WantErr: true},      // no DIR, no configuration
		{Args: []string{"x", "c", "--dir", "d"}, WantErr: true}, // given twice
		{Args: nil, WantErr: true},
		{Args: []string{"a", "b", "c"}, WantErr: true},
	})
}
