package config

// Gateway is the configuration section owned by its package; see the package doc.
type Gateway struct{}

// DefaultGateway returns the section's defaults.
func DefaultGateway() Gateway { return Gateway{} }

// Validate reports problems in the section.
func (c *Gateway) Validate(is *Issues) {}
