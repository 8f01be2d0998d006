package msglog

// DropSealedForTest forgets the batches Seal handed to the archiver and not
// yet archived, as when the archiver falls behind: rotation must then read
// them from the journal.
func (l *Log) DropSealedForTest() {
	l.sealedMu.Lock()
	l.sealed = nil
	l.sealedMu.Unlock()
}
