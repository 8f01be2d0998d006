// Package configs embeds the shipped check mappings (configs/mappings) so
// `tunduk demo` runs from the binary alone; production reads them from
// gateway.mappingsDir instead. The example configuration, the systemd unit
// and the invalid examples in this directory are files for operators and
// tests, not code.
package configs

import "embed"

// Mappings holds mappings/*.yaml.
//
//go:embed mappings/*.yaml
var Mappings embed.FS

// Catalog holds catalog/, the example service catalog; `tunduk demo`
// writes it out for `tunduk catalog plan|apply|diff` against its emulated
// security server.
//
//go:embed catalog
var Catalog embed.FS
