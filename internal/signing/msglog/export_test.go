package msglog

// DropSealedForTest forgets the batches Seal handed to the archiver and not
// yet archived, as when the archiver falls behind: rotation must then read
// them from the journal.
func (l *Log) DropSealedForTest() {
	l.sealedMu.Lock()
	l.sealed, l.queuedBytes = nil, 0
	l.sealedMu.Unlock()
}

// ArchivedForTest is how many records l has written to archives since
// Open: committed, or archived ahead of the next rotation.
func ArchivedForTest(l *Log) uint64 { return uint64(l.archived.Load() + l.aheadCount.Load()) }
