// Command tunduk is the Tunduk adapter and security-server companion.
package main

import (
	"os"

	"github.com/tunduk-kg/tunduk/cmd/root"
)

func main() {
	os.Exit(int(root.Main(os.Args[1:])))
}
