package verify

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteText prints the report for people: one line per file (with the
// last linking digest for archives), then one line per problem naming the
// file, the container and X-Road's error code, then a summary.
func (r *Report) WriteText(w io.Writer) error {
	for _, f := range r.Files {
		status := "OK  "
		if len(f.Problems) > 0 {
			status = "FAIL"
		}
		switch f.Kind {
		case "archive":
			last := f.LastDigest
			if last == "" {
				last = "- (chain broken)"
			}
			fmt.Fprintf(w, "%s %s: archive, %d container(s), last digest %s\n", status, f.Path, f.Containers, last)
		default:
			fmt.Fprintf(w, "%s %s: container\n", status, f.Path)
		}
		for _, p := range f.Problems {
			where := f.Path
			if p.Container != "" {
				where += ": " + p.Container
			}
			fmt.Fprintf(w, "  %s: %s: %s\n", where, p.Code, p.Message)
		}
		for _, s := range f.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", s)
		}
	}
	for _, c := range r.Checkpoints {
		if c.Valid {
			fmt.Fprintf(w, "OK   checkpoint %s: %s, size %d, is the archives' tree at that size (archives: %d records)\n", c.File, c.Origin, c.Size, c.ArchiveSize)
		} else {
			fmt.Fprintf(w, "FAIL checkpoint %s: %s: %s\n", c.File, c.Code, c.Message)
		}
		if !c.KeyPinned && c.Code != CodeCheckpointFormat && c.Code != CodeCheckpointNoArchives {
			fmt.Fprintf(w, "  warning: checkpoint signature checked with the archives' own certificates (give --cert to pin the key)\n")
		}
	}
	verdict := "all valid"
	if !r.Valid() {
		verdict = fmt.Sprintf("%d problem(s)", r.Problems)
	}
	_, err := fmt.Fprintf(w, "%d file(s), %d container(s), %d bytes: %s\n", len(r.Files), r.Containers, r.Bytes, verdict)
	return err
}

// WriteJSON prints the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Valid bool `json:"valid"`
		*Report
	}{r.Valid(), r})
}
