// Package list is `tunduk keys list`: the configured keys and how long
// their certificates have left.
package list

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// ListOptions are the verb's inputs.
type ListOptions struct {
	IO       cli.IOStreams
	Output   string // table or json
	WarnDays int
	Now      func() time.Time
	// Config comes from the Factory.
	Config func() (*config.Config, error)
}

// NewCmdList returns the list verb; runF nil runs it for real.
func NewCmdList(f *cli.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Now: time.Now, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "list [--config FILE] [--output table|json]",
		Short: "List the configured keys with certificate expiry and days left",
		Long: `List the keys of the configuration's keys section: backend, certificate
subject, expiry and days left, read from the certificate files (no PIN needed).
Status is OK, EXPIRING (within --warn-days), EXPIRED, NO-CERT or ERROR. Exits 1
when a certificate has expired or cannot be read.

With --output json the result is an array of {name, backend, uri,
certificate, subject, notAfter, daysLeft, status, error}.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cli.Run(opts, runF, listRun)
		},
	}
	f.AddConfigFlag(cmd.Flags())
	cli.AddOutputFlag(cmd, &opts.Output)
	cmd.Flags().IntVar(&opts.WarnDays, "warn-days", 30, "report EXPIRING when fewer days are left")
	return cmd
}

// Row is one key in the listing (also the JSON form).
type Row struct {
	Name        string     `json:"name"`
	Backend     string     `json:"backend"`
	URI         string     `json:"uri"`
	Certificate string     `json:"certificate,omitempty"`
	Subject     string     `json:"subject,omitempty"`
	NotAfter    *time.Time `json:"notAfter,omitempty"`
	DaysLeft    *int       `json:"daysLeft,omitempty"`
	Status      string     `json:"status"`
	Error       string     `json:"error,omitempty"`
}

// Rows describes every configured key at time now.
func Rows(keys config.Keys, now time.Time, warnDays int) []Row {
	var rows []Row
	for _, name := range keys.Names() {
		k := keys[name]
		r := Row{Name: name, URI: kms.Redact(k.URI), Certificate: k.Certificate, Status: "NO-CERT"}
		if u, err := kms.ParseURI(k.URI); err == nil {
			r.Backend = u.Scheme
		}
		if k.Certificate != "" {
			c, err := keyref.LoadCertificate(k.Certificate)
			if err != nil {
				r.Status, r.Error = "ERROR", err.Error()
			} else {
				st := certs.StatusOf(c, now)
				na, dl := st.NotAfter.UTC(), st.DaysLeft
				r.Subject, r.NotAfter, r.DaysLeft = st.Subject, &na, &dl
				switch {
				case st.Expired:
					r.Status = "EXPIRED"
				case st.DaysLeft < warnDays:
					r.Status = "EXPIRING"
				default:
					r.Status = "OK"
				}
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func listRun(opts *ListOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	rows := Rows(cfg.Keys, opts.Now(), opts.WarnDays)
	if err := cli.Print(opts.IO.Out, opts.Output, rows, func(w io.Writer) error { return writeTable(w, opts.IO.ErrOut, rows) }); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Status == "EXPIRED" || r.Status == "ERROR" {
			return cli.Invalid()
		}
	}
	return nil
}

// writeTable writes the rows as aligned columns, and each key's error to
// errOut.
func writeTable(w, errOut io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tBACKEND\tSUBJECT\tEXPIRES\tDAYS LEFT\tSTATUS")
	for _, r := range rows {
		exp, days := "-", "-"
		if r.NotAfter != nil {
			exp, days = r.NotAfter.Format(time.DateOnly), fmt.Sprint(*r.DaysLeft)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Backend, orDash(r.Subject), exp, days, r.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(errOut, "%s: %s\n", r.Name, r.Error)
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
