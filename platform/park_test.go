package platform

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestParkUnparkBefore: an Unpark before Park is not lost.
func TestParkUnparkBefore(t *testing.T) {
	var p Parker
	p.Unpark()
	if !p.Park(-1) {
		t.Fatal("Park after Unpark reported no wake-up")
	}
}

// TestParkTimeout: Park without an Unpark never reports a wake-up, and
// parking again for what is left of the timeout ends (Park may return
// early without one, e.g. on a host signal, so a caller loops on its
// deadline as Task.ParkTimeout does).
func TestParkTimeout(t *testing.T) {
	var p Parker
	deadline := time.Now().Add(10 * time.Millisecond)
	n := 0
	for left := time.Until(deadline); left > 0; left = time.Until(deadline) {
		if p.Park(left) {
			t.Fatal("Park without Unpark reported a wake-up")
		}
		// Early returns are rare (a host signal); a Park that ignored
		// its timeout would come back here millions of times.
		if n++; n > 1000 {
			t.Fatalf("Park returned %d times within 10 ms without sleeping out its timeout", n)
		}
	}
}

// TestParkRace races wake-ups against sleeps: a ping-pong of two locked
// goroutines that each wait for a counter the other advances. A lost
// wake-up hangs it (the test's own timeout catches that).
func TestParkRace(t *testing.T) {
	const rounds = 20000
	var mu sync.Mutex
	turn := 0
	var parkers [2]Parker
	var wg sync.WaitGroup
	for side := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for i := side; i < 2*rounds; i += 2 {
				for {
					mu.Lock()
					mine := turn == i
					mu.Unlock()
					if mine {
						break
					}
					parkers[side].Park(-1)
				}
				mu.Lock()
				turn++
				mu.Unlock()
				parkers[1-side].Unpark()
			}
		}()
	}
	wg.Wait()
	if turn != 2*rounds {
		t.Fatalf("turn = %d, want %d", turn, 2*rounds)
	}
}
