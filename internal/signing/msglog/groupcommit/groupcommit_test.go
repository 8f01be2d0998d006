package groupcommit

import "testing"

func TestNext(t *testing.T) {
	q := make(chan int, 8)
	stop := make(chan struct{})
	for _, n := range []int{3, 4, 5, 6} {
		q <- n
	}
	size := func(n int) int { return n }
	// The bound stops the fill once reached: 3+4 = 7 < 8, +5 = 12.
	g, b, ok := Next(q, stop, nil, size, 8)
	if !ok || b != 12 || len(g) != 3 || g[0] != 3 || g[2] != 5 {
		t.Fatalf("Next = %v, %d, %v; want [3 4 5], 12, true", g, b, ok)
	}
	// The queue's rest, then nothing more once stopped.
	close(stop)
	g, b, ok = Next(q, stop, g, size, 8)
	if !ok || b != 6 || len(g) != 1 || g[0] != 6 {
		t.Fatalf("Next after stop = %v, %d, %v; want [6], 6, true", g, b, ok)
	}
	if g, _, ok = Next(q, stop, g, size, 8); ok || len(g) != 0 {
		t.Fatalf("Next on a stopped, empty queue = %v, %v; want none", g, ok)
	}
}
