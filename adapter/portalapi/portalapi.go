// Package portalapi holds the OpenAPI 3 document of the portal API
// (openapi.json), embedded so the gateway serves exactly the file kept in
// the repository at /openapi.json.
package portalapi

import _ "embed"

// JSON is the OpenAPI 3.0 document of the portal API.
//
//go:embed openapi.json
var JSON []byte
