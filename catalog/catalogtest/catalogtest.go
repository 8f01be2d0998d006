// Package catalogtest is the former name of catalog/ssapitest, the
// emulated SS Management REST API, kept so existing tests build unchanged.
//
// Deprecated: use github.com/tunduk-kg/tunduk/catalog/ssapitest.
package catalogtest

import (
	"testing"

	"github.com/tunduk-kg/tunduk/catalog/ssapitest"
)

// Aliases of the ssapitest names.
type (
	Server           = ssapitest.Server
	Options          = ssapitest.Options
	Request          = ssapitest.Request
	Fault            = ssapitest.Fault
	Published        = ssapitest.Published
	PublishedService = ssapitest.PublishedService
	Operation        = ssapitest.Operation
)

// Constants of ssapitest.
const (
	BasePath       = ssapitest.BasePath
	SpecFile       = ssapitest.SpecFile
	CommonSpecFile = ssapitest.CommonSpecFile
)

// NewServer is ssapitest.NewServer.
func NewServer(t testing.TB, opts Options) *Server { return ssapitest.NewServer(t, opts) }
