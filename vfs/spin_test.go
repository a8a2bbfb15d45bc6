package vfs

import "testing"

func TestSpinnerBacksOff(t *testing.T) {
	var s Spinner
	calls := 0
	never := func() bool { calls++; return false }
	for i := 0; i < spinFails; i++ {
		if s.Spin(never) {
			t.Fatalf("spin %d reported a wake-up that never came", i)
		}
	}
	// Backing off: the next spinBackoff waits do not poll at all.
	calls = 0
	for i := 0; i < spinBackoff; i++ {
		if s.Spin(never) {
			t.Fatal("a backed-off spin reported a wake-up")
		}
	}
	if calls != 0 && spinCPUs {
		t.Fatalf("backed-off spins polled %d times", calls)
	}
	// Then one spin polls again, and a success ends the backoff.
	if spinCPUs {
		n := 0
		if !s.Spin(func() bool { n++; return n > 3 }) {
			t.Fatal("the spin after the backoff did not see its wake-up")
		}
		calls = 0
		s.Spin(func() bool { calls++; return true })
		if calls != 1 {
			t.Fatalf("after a successful spin the next one polled %d times, want 1", calls)
		}
	}
	var none *Spinner
	if none.Spin(func() bool { return true }) {
		t.Fatal("a nil Spinner spun")
	}
}
