package msglog

import "testing"

// TestSealedQueueBound: Seal queues two sealed batches for the archiver
// whatever their size, more while the queued batches' stored bytes stay
// within sealedQueueBytes, and drops the rest (rotation reads them from
// the journal).
func TestSealedQueueBound(t *testing.T) {
	batch := func(bytes int) *sealedBatch {
		return &sealedBatch{batch: []pendingRecord{{seq: 1, size: bytes / 2}, {seq: 2, size: bytes - bytes/2}}}
	}
	l := &Log{sealedNew: make(chan struct{}, 1)}
	l.queueSealed(batch(sealedQueueBytes))     // over the bound alone: queued (one of the first two)
	l.queueSealed(batch(sealedQueueBytes / 2)) // queued (the second)
	if len(l.sealed) != 2 {
		t.Fatalf("queued %d of the first two batches, want both", len(l.sealed))
	}
	l.queueSealed(batch(1 << 10)) // a third batch beyond the bytes bound: dropped
	if len(l.sealed) != 2 || l.queuedBytes != sealedQueueBytes+sealedQueueBytes/2 {
		t.Fatalf("after a third batch over the bound: %d queued, %d bytes; want 2 queued, %d bytes",
			len(l.sealed), l.queuedBytes, sealedQueueBytes+sealedQueueBytes/2)
	}

	l = &Log{sealedNew: make(chan struct{}, 1)}
	for i := range 6 {
		l.queueSealed(batch(sealedQueueBytes / 8))
		if len(l.sealed) != i+1 {
			t.Fatalf("batch %d of 8 MiB: %d queued, want %d (within 64 MiB)", i+1, len(l.sealed), i+1)
		}
	}
	l.queueSealed(batch(sealedQueueBytes/4 + 1)) // 6/8 + 1/4 + 1 byte > the bound
	if len(l.sealed) != 6 {
		t.Fatalf("a batch past the bytes bound was queued: %d queued", len(l.sealed))
	}
	if want := int64(6 * (sealedQueueBytes / 8)); l.queuedBytes != want {
		t.Fatalf("queuedBytes %d, want %d", l.queuedBytes, want)
	}
	l.archiveQueuedLocked() // no state: takes each batch without archiving it
	if len(l.sealed) != 0 || l.queuedBytes != 0 {
		t.Fatalf("after the archiver took the queue: %d queued, %d bytes; want none", len(l.sealed), l.queuedBytes)
	}
}
