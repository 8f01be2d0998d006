package tlog

import (
	"slices"
	"sort"
)

// seqIndex finds a record's group and leaf index by sequence number. The
// message log seals in sequence order, so entries arrive sorted and are
// appended; a lookup is a binary search. It holds no pointers (the group
// is a number, Store.names), so millions of records add nothing to the
// garbage collector's marking, unlike a map with the group's name.
type seqIndex struct {
	ents     []seqEntry
	unsorted bool // an entry arrived out of order (groups loaded one by one)
}

type seqEntry struct {
	seq   uint64
	index uint64 // the leaf's index in its group's tree
	group uint32 // into Store.names
}

func (x *seqIndex) add(seq uint64, group uint32, index uint64) {
	if n := len(x.ents); n > 0 && x.ents[n-1].seq >= seq {
		x.unsorted = true
	}
	x.ents = append(x.ents, seqEntry{seq: seq, index: index, group: group})
}

func (x *seqIndex) find(seq uint64) (seqEntry, bool) {
	if x.unsorted {
		slices.SortFunc(x.ents, func(a, b seqEntry) int {
			switch {
			case a.seq < b.seq:
				return -1
			case a.seq > b.seq:
				return 1
			}
			return 0
		})
		x.unsorted = false
	}
	if n := len(x.ents); n == 0 || x.ents[n-1].seq < seq {
		return seqEntry{}, false // not sealed yet: what most answers' receipts ask
	}
	i := sort.Search(len(x.ents), func(i int) bool { return x.ents[i].seq >= seq })
	if i < len(x.ents) && x.ents[i].seq == seq {
		return x.ents[i], true
	}
	return seqEntry{}, false
}
