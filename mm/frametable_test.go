package mm

import (
	"math/rand"
	"testing"
)

// TestFrameTableSeek checks seek (SEEK_DATA, SEEK_HOLE) against a page
// by page search over random sparse tables, with ranges that start and
// end inside chunks and words, cross missing chunks, and span far more
// chunks than exist (the map-walking path).
func TestFrameTableSeek(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 40; round++ {
		tab := newFrameTable(nil)
		present := map[uint64]bool{}
		span := uint64(8 * frameChunkPages)
		for n := rng.Intn(300); n > 0; n-- {
			idx := uint64(rng.Int63n(int64(span)))
			if rng.Intn(4) == 0 { // a full run now and then
				for i := idx; i < min(idx+uint64(rng.Intn(700)), span); i++ {
					tab.set(i, i*pageSize)
					present[i] = true
				}
			}
			tab.set(idx, idx*pageSize)
			present[idx] = true
		}
		naive := func(from, to uint64, data bool) uint64 {
			for i := from; i < to; i++ {
				if present[i] == data {
					return i
				}
			}
			return to
		}
		for q := 0; q < 300; q++ {
			from := uint64(rng.Int63n(int64(span + 10)))
			to := from + uint64(rng.Int63n(int64(span)))
			if q%10 == 0 {
				to = from + 1<<40 // many more chunks than exist
			}
			for _, data := range []bool{true, false} {
				if got, want := tab.seek(from, to, data), naive(from, min(to, span+frameChunkPages), data); got != want && !(want == min(to, span+frameChunkPages) && got == to) {
					t.Fatalf("round %d: seek(%d, %d, %v) = %d, want %d", round, from, to, data, got, want)
				}
			}
		}
	}
}
