package pipe

import "testing"

// TestRing checks the ring's order through wrap-around and growth, from
// both ends, against a plain slice.
func TestRing(t *testing.T) {
	var r ring
	var want []*buffer
	check := func(step int) {
		t.Helper()
		if r.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, r.len(), len(want))
		}
		for i, b := range want {
			if r.at(i) != b {
				t.Fatalf("step %d: at(%d) is not the %d'th buffer", step, i, i)
			}
		}
		if len(want) > 0 && (r.first() != want[0] || r.last() != want[len(want)-1]) {
			t.Fatalf("step %d: first or last wrong", step)
		}
	}
	for step := range 2000 {
		switch {
		case step%7 == 3:
			b := new(buffer)
			r.pushFront(b)
			want = append([]*buffer{b}, want...)
		case step%3 == 0 && len(want) > 0, step > 1000 && len(want) > 0 && step%5 != 0:
			if got := r.pop(); got != want[0] {
				t.Fatalf("step %d: pop returned the wrong buffer", step)
			}
			want = want[1:]
		default:
			b := new(buffer)
			r.push(b)
			want = append(want, b)
		}
		check(step)
	}
}
