package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
)

// blockLines is how many consecutive lines of statements.jsonl one index
// entry covers: a lookup reads at most this many lines per candidate
// block (about 64 KiB of 1 KiB statements).
const blockLines = 64

// block is the index entry of blockLines consecutive lines (fewer for the
// last): 40 bytes, under 1 byte per record.
type block struct {
	off    int64  // offset of its first line
	lo, hi uint64 // its smallest and largest seq
	// loMin is the smallest lo of this block and all later ones, hiMax
	// the largest hi of this block and all earlier ones: both are
	// monotone, so the blocks that may hold a seq are one run, found by
	// binary search however the seqs are ordered in the file.
	loMin, hiMax uint64
}

// sparseIndex maps a record's seq to the blocks of statements.jsonl that
// may hold its line. Lines are appended one signed batch at a time, each
// batch in seq order (signBatch; files written before were in arrival
// order), but batches are not in seq order (groups complete in any order,
// a straggler comes late), so a block's seqs are a range, not a position:
// a lookup reads the blocks whose range holds the seq — one, two at a
// batch boundary or next to a straggler's block. In a file with whole
// group commits in arrival order it reads the group's blocks: bounded by
// the group's size, not the file's.
type sparseIndex struct {
	blocks []block
	n      int // lines in the last block
}

// add indexes the line of seq at off (lines are added in file order).
func (x *sparseIndex) add(seq uint64, off int64) {
	if len(x.blocks) == 0 || x.n == blockLines {
		b := block{off: off, lo: seq, hi: seq, loMin: math.MaxUint64, hiMax: seq}
		if len(x.blocks) > 0 {
			b.hiMax = max(seq, x.blocks[len(x.blocks)-1].hiMax)
		}
		x.blocks = append(x.blocks, b)
		x.n = 0
	} else {
		b := &x.blocks[len(x.blocks)-1]
		b.lo, b.hi, b.hiMax = min(b.lo, seq), max(b.hi, seq), max(b.hiMax, seq)
	}
	x.n++
	// Lower the suffix minima this seq undercuts: none, or the last few
	// blocks, unless the line is a straggler from far back.
	for i := len(x.blocks) - 1; i >= 0 && x.blocks[i].loMin > seq; i-- {
		x.blocks[i].loMin = seq
	}
}

// span is a candidate block: bytes [off, end) of statements.jsonl.
type span struct{ off, end int64 }

// find appends to sp the blocks that may hold seq, last first; size is
// the end of the last block.
func (x *sparseIndex) find(seq uint64, size int64, sp []span) []span {
	bs := x.blocks
	from := sort.Search(len(bs), func(i int) bool { return bs[i].hiMax >= seq })
	to := sort.Search(len(bs), func(i int) bool { return bs[i].loMin > seq })
	for i := to - 1; i >= from; i-- {
		if bs[i].lo <= seq && seq <= bs[i].hi {
			end := size
			if i+1 < len(bs) {
				end = bs[i+1].off
			}
			sp = append(sp, span{bs[i].off, end})
		}
	}
	return sp
}

// lineSeq is the seq of a statements.jsonl line: the `{"seq":N,` every
// writer puts first, else whatever JSON decoding finds.
func lineSeq(b []byte) (uint64, error) {
	const prefix = `{"seq":`
	if rest, ok := bytes.CutPrefix(b, []byte(prefix)); ok {
		if i := bytes.IndexByte(rest, ','); i > 0 && i <= 20 {
			if seq, err := strconv.ParseUint(string(rest[:i]), 10, 64); err == nil {
				return seq, nil
			}
		}
	}
	var ln struct {
		Seq uint64 `json:"seq"`
	}
	err := json.Unmarshal(b, &ln)
	return ln.Seq, err
}

// readSeq reads the line of seq from the candidate blocks (see find): the
// last such line of the latest block holding one, as a map overwritten in
// file order would have answered. It reads at most blockLines lines per
// block.
func readSeq(f *os.File, seq uint64, sp []span, ln *line) (bool, error) {
	var buf []byte
	for _, s := range sp {
		if s.end-s.off > blockLines*maxLine {
			return false, fmt.Errorf("evidence: statements.jsonl block at %d of %d bytes", s.off, s.end-s.off)
		}
		if n := int(s.end - s.off); cap(buf) < n {
			buf = make([]byte, n)
		} else {
			buf = buf[:n]
		}
		if _, err := f.ReadAt(buf, s.off); err != nil {
			return false, fmt.Errorf("evidence: read statements at %d: %w", s.off, err)
		}
		var found []byte
		for rest := buf; len(rest) > 0; {
			b, tail, _ := bytes.Cut(rest, []byte{'\n'})
			rest = tail
			got, err := lineSeq(b)
			if err != nil {
				return false, fmt.Errorf("evidence: statements.jsonl in the block at %d: %w", s.off, err)
			}
			if got == seq {
				found = b
			}
		}
		if found != nil {
			if err := json.Unmarshal(found, ln); err != nil {
				return false, fmt.Errorf("evidence: statement of seq %d in the block at %d: %w", seq, s.off, err)
			}
			return true, nil
		}
	}
	return false, nil
}
