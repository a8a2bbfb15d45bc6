package tmpfs

import "testing"

// TestTrimViews: trimViews cuts views to their first n bytes without
// allocating, and undo gives the caller's views back unchanged.
func TestTrimViews(t *testing.T) {
	a, b, c := make([]byte, 10), make([]byte, 20), make([]byte, 30)
	v := [][]byte{a, b, c}
	for _, tc := range []struct {
		n    int64
		lens []int
	}{{0, []int{0}}, {5, []int{5}}, {10, []int{10}}, {25, []int{10, 15}}, {60, []int{10, 20, 30}}, {100, []int{10, 20, 30}}} {
		got, trim := trimViews(v, tc.n)
		if len(got) != len(tc.lens) {
			t.Fatalf("trimViews(%d) = %d views, want %d", tc.n, len(got), len(tc.lens))
		}
		for i, l := range tc.lens {
			if len(got[i]) != l {
				t.Fatalf("trimViews(%d): view %d has %d bytes, want %d", tc.n, i, len(got[i]), l)
			}
		}
		trim.undo()
		if len(v[0]) != 10 || len(v[1]) != 20 || len(v[2]) != 30 {
			t.Fatalf("after undo of trimViews(%d): %d %d %d", tc.n, len(v[0]), len(v[1]), len(v[2]))
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		_, trim := trimViews(v, 25)
		trim.undo()
	}); n != 0 {
		t.Fatalf("trimViews allocates %v times", n)
	}
}
