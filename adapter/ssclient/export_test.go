package ssclient

import "time"

// SetClock replaces the client's clock for tests: the breakers (made
// after the call) and the exchange times read it instead of time.Now.
func SetClock(c *Client, now func() time.Time) { c.now = now }
