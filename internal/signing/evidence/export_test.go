package evidence

// SetSlowKey makes Promise treat the key as slow (or fast) until its next
// signature is timed (see Promise).
func SetSlowKey(l *Log, slow bool) { l.slowKey.Store(slow) }
