package config

// SecurityServer is the configuration section owned by its package; see the package doc.
type SecurityServer struct{}

// DefaultSecurityServer returns the section's defaults.
func DefaultSecurityServer() SecurityServer { return SecurityServer{} }

// Validate reports problems in the section.
func (c *SecurityServer) Validate(is *Issues) {}
