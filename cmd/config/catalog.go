package config

// Catalog is the configuration section owned by its package; see the package doc.
type Catalog struct{}

// DefaultCatalog returns the section's defaults.
func DefaultCatalog() Catalog { return Catalog{} }

// Validate reports problems in the section.
func (c *Catalog) Validate(is *Issues) {}
