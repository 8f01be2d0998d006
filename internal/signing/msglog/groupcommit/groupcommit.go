// Package groupcommit collects the group of appends that share one commit
// (the file journal's fsync, the PostgreSQL store's transaction): the one
// writer goroutine of a store waits for the first request and takes what
// is queued behind it without waiting, up to a byte bound.
//
// Non-goals: it does not write, commit or hold a group open for late
// arrivals (the file journal's group-commit window stays in package store).
package groupcommit

// Next waits for the first request on queue and returns group (reused,
// emptied first) holding it and every request queued behind it, while
// their size (size of each) stays under maxBytes, with that size. Once
// stop is closed it takes only what is already queued, so that the
// writer finishes every accepted request; ok is false when nothing is.
func Next[R any](queue <-chan R, stop <-chan struct{}, group []R, size func(R) int, maxBytes int) (_ []R, bytes int, ok bool) {
	var first R
	select {
	case first = <-queue:
	case <-stop:
		select {
		case first = <-queue:
		default:
			return group[:0], 0, false
		}
	}
	group = append(group[:0], first)
	bytes = size(first)
	for bytes < maxBytes {
		select {
		case r := <-queue:
			group = append(group, r)
			bytes += size(r)
		default:
			return group, bytes, true
		}
	}
	return group, bytes, true
}
