package config

// MessageLog is the configuration section owned by its package; see the package doc.
type MessageLog struct{}

// DefaultMessageLog returns the section's defaults.
func DefaultMessageLog() MessageLog { return MessageLog{} }

// Validate reports problems in the section.
func (c *MessageLog) Validate(is *Issues) {}
