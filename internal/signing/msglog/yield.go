package msglog

import "runtime"

// Background work — sealing a batch, building and writing its containers —
// runs in long CPU-bound loops beside the appends. Go preempts a running
// goroutine only after about 10 ms, so without a yield an Append whose
// fsync has returned, or the journal writer itself back from fdatasync,
// waits behind such a loop for up to that long, while an Append's whole
// round trip (group window, write, fsync) is a few milliseconds. The
// appends are latency-bound (each caller waits for its fsync), so that
// wait lowers their rate and leaves the cores idle between batches. The
// background loops therefore yield every 50 µs or so of work; a yield
// costs well under a microsecond.

// yieldAt yields the processor on every every-th step i of a loop.
func yieldAt(i, every int) {
	if i%every == every-1 {
		runtime.Gosched()
	}
}
