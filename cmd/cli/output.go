package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

// Output formats of --output.
const (
	OutputTable = "table"
	OutputJSON  = "json"
)

// OutputHelp documents --output in a command's help: what JSON looks like.
const OutputHelp = "output format: table (aligned columns for people) or json (camelCase keys, one document, for scripts)"

// AddOutputFlag registers --output/-o (table or json) on a command that
// reads, with completion of its values, and checks the value before the
// command runs. "text" is accepted as the older name of table.
func AddOutputFlag(cmd *cobra.Command, out *string) {
	cmd.Flags().StringVarP(out, "output", "o", OutputTable, OutputHelp)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{OutputTable, OutputJSON}, cobra.ShellCompDirectiveNoFileComp))
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		switch *out {
		case OutputTable, OutputJSON:
		case "text":
			*out = OutputTable
		default:
			return UsageError("--output %q: use table or json", *out)
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// WriteJSON writes v as indented JSON: the --output json form of every
// command. Types printed this way carry camelCase json tags.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Print writes a command's result as --output asks: json, v as one
// document (WriteJSON); table, what table writes for people. Every list,
// show and check verb prints through it.
func Print(w io.Writer, output string, v any, table func(io.Writer) error) error {
	if output == OutputJSON {
		return WriteJSON(w, v)
	}
	return table(w)
}
