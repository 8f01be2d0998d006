package config

// Keys is the configuration section owned by its package; see the package doc.
type Keys struct{}

// DefaultKeys returns the section's defaults.
func DefaultKeys() Keys { return Keys{} }

// Validate reports problems in the section.
func (c *Keys) Validate(is *Issues) {}
