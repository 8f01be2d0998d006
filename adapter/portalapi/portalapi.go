// Package portalapi holds the OpenAPI 3 document of the portal API
// (openapi.json), embedded so the gateway serves exactly the file kept in
// the repository at /openapi.json.
//
// Public API: portal clients may import this package for the OpenAPI document the gateway serves. Everything under internal/ is tunduk's own and may change
// without notice.
package portalapi

import _ "embed"

// JSON is the OpenAPI 3.0 document of the portal API.
//
//go:embed openapi.json
var JSON []byte
