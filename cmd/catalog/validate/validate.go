// Package validate is `tunduk catalog validate`: check a catalog directory
// against the rules the Tunduk operator refuses registrations for.
package validate

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// ValidateOptions are the verb's inputs.
type ValidateOptions struct {
	catalogflags.Local
	// Strict makes warnings fail the check too.
	Strict bool
	// Output is table or json.
	Output string
}

// NewCmdValidate returns the validate verb; runF nil runs it for real.
func NewCmdValidate(f *cli.Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{}
	cmd := catalogflags.NewLocalCmd(f, &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check the catalog for what the Tunduk operator would refuse",
		Long: `Check the catalog in DIR (default: catalog.dir of the configuration) for
completeness and correctness: ky/ru/en titles, legal basis,
declared personal data, classifier references, unique service codes, X-Road
identifiers, SLA numbers, authorised persons. Each problem is printed as
FILE:LINE: PATH: what to fix. Exits 1 when there are errors.

With --output json the result is one object: {dir, valid, errors, warnings,
problems: [{file, line, path, severity, message}]}.`,
		Args: cobra.MaximumNArgs(1),
	}, &opts.Local, 0, func([]string) (string, error) { return "catalog validate", nil },
		func() error { return cli.Run(opts, runF, validateRun) })
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "treat warnings as errors")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func validateRun(opts *ValidateOptions) error {
	c, err := catalog.Load(opts.Dir)
	var probs catalog.Problems
	switch {
	case errors.As(err, &probs):
		// syntax problems: report them, the rules cannot run on a partial catalog
	case err != nil:
		return err
	default:
		probs = c.Validate()
	}
	rep := newReport(opts, c, probs)
	if err := cli.Print(opts.IO.Out, opts.Output, rep, func(w io.Writer) error {
		for _, p := range rep.Problems {
			fmt.Fprintln(w, p.text)
		}
		return nil
	}); err != nil {
		return err
	}
	nerr, nwarn := rep.Errors, rep.Warnings
	if !rep.Valid {
		fmt.Fprintf(opts.IO.ErrOut, "%s: %d error(s), %d warning(s)\n", opts.Dir, nerr, nwarn)
		return cli.Invalid()
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s: valid: %d system(s), %d service(s), %d classifier(s), %d warning(s)\n",
		opts.Dir, len(c.Systems), len(c.Services), len(c.Classifiers), nwarn)
	return nil
}

// Report is the verdict as printed with --output json.
type Report struct {
	Dir      string    `json:"dir"`
	Valid    bool      `json:"valid"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
	Problems []Problem `json:"problems"`
}

// Problem is one finding as printed with --output json.
type Problem struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Path     string `json:"path,omitempty"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	text     string // FILE:LINE: PATH: message, as printed for people
}

// newReport counts the problems and names their files as given with --dir.
func newReport(opts *ValidateOptions, c *catalog.Catalog, probs catalog.Problems) Report {
	rep := Report{Dir: opts.Dir, Problems: []Problem{}}
	for _, p := range probs {
		if p.File != "" && c != nil && p.File != c.Dir {
			p.File = joinDir(opts.Dir, p.File)
		}
		rep.Problems = append(rep.Problems, Problem{File: p.File, Line: p.Line, Path: p.Path, Severity: p.Severity.String(), Message: p.Msg, text: p.String()})
		if p.Severity == catalog.Error {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	rep.Valid = !(rep.Errors > 0 || (opts.Strict && rep.Warnings > 0))
	return rep
}

func joinDir(dir, file string) string {
	if dir == "" || dir == "." {
		return file
	}
	return dir + "/" + file
}
