// Package pkgdocs generates the man pages and shell completions of the
// tunduk command tree for the Debian package (packaging/nfpm.yaml). It
// lives outside cmd/ so the command tree stays free of packaging concerns;
// it only calls root.NewCmdRoot.
package pkgdocs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/root"
)

// Write puts man/<command>.1.gz for every visible command and
// completions/{tunduk.bash,_tunduk,tunduk.fish} under dir.
func Write(dir, version string) error {
	cmd := root.NewCmdRoot(&cli.Factory{IO: cli.System()})
	cmd.DisableAutoGenTag = true
	manDir := filepath.Join(dir, "man")
	compDir := filepath.Join(dir, "completions")
	for _, d := range []string{manDir, compDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("pkgdocs: %w", err)
		}
	}
	// A fixed date keeps the pages reproducible; the version says which build.
	date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := writeMan(cmd, manDir, &doc.GenManHeader{
		Title:   "TUNDUK",
		Section: "1",
		Source:  "tunduk " + version,
		Manual:  "tunduk manual",
		Date:    &date,
	}); err != nil {
		return err
	}
	gens := map[string]func(*bytes.Buffer) error{
		"tunduk.bash": func(b *bytes.Buffer) error { return cmd.GenBashCompletionV2(b, true) },
		"_tunduk":     func(b *bytes.Buffer) error { return cmd.GenZshCompletion(b) },
		"tunduk.fish": func(b *bytes.Buffer) error { return cmd.GenFishCompletion(b, true) },
	}
	for name, gen := range gens {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return fmt.Errorf("pkgdocs: %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(compDir, name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("pkgdocs: %w", err)
		}
	}
	return nil
}

// writeMan writes one gzipped page per available command, recursively.
func writeMan(c *cobra.Command, dir string, h *doc.GenManHeader) error {
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeMan(sub, dir, h); err != nil {
			return err
		}
	}
	hdr := *h
	var page bytes.Buffer
	if err := doc.GenMan(c, &hdr, &page); err != nil {
		return fmt.Errorf("pkgdocs: man page of %q: %w", c.CommandPath(), err)
	}
	name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1.gz"
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // zero ModTime and no name: reproducible
	if _, err := zw.Write(page.Bytes()); err != nil {
		return fmt.Errorf("pkgdocs: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("pkgdocs: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), gz.Bytes(), 0o644); err != nil {
		return fmt.Errorf("pkgdocs: %w", err)
	}
	return nil
}
