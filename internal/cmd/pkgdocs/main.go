// Command pkgdocs writes the files the Debian package ships that are
// generated from the tunduk command tree: one man page per command
// (section 1, gzipped without a timestamp so builds are reproducible) and
// bash, zsh and fish completions. `make deb` runs it; the output is never
// committed, so the pages cannot drift from the commands.
//
//	go run ./internal/cmd/pkgdocs -out build/pkgdocs -version 1.2.3
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tunduk-kg/tunduk/internal/pkgdocs"
)

func main() {
	out := flag.String("out", "build/pkgdocs", "output directory (man/, completions/)")
	version := flag.String("version", "dev", "version printed in the man pages' footer")
	flag.Parse()
	if err := pkgdocs.Write(*out, *version); err != nil {
		fmt.Fprintln(os.Stderr, "pkgdocs:", err)
		os.Exit(1)
	}
}
