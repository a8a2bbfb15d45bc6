package systrap

import (
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	var b budget
	if d := b.next(); d != spinMin {
		t.Fatalf("first budget %v, want %v", d, spinMin)
	}
	// Hits double it up to spinMax.
	for i := 0; i < 10; i++ {
		b.hit(b.next())
	}
	if d := b.next(); d != spinMax {
		t.Fatalf("after hits: %v, want %v", d, spinMax)
	}
	// Misses halve it down to nothing.
	for b.d != 0 {
		b.miss(b.next())
	}
	// Then it polls no more for spinProbe Switches, and tries spinMin.
	for i := 0; i < spinProbe; i++ {
		if d := b.next(); d != 0 {
			t.Fatalf("switch %d after giving up: %v", i, d)
		}
	}
	if d := b.next(); d != spinMin {
		t.Fatalf("probe: %v, want %v", d, spinMin)
	}
	b.miss(spinMin)
	if d := b.next(); d != 0 {
		t.Fatalf("after a failed probe: %v", d)
	}
}

func TestSpinGate(t *testing.T) {
	g := spinGate{ncpu: 4}
	g.loadChecked.Store(time.Now().UnixNano()) // the host's load is not this test's
	now := time.Now()
	if !g.allow(now) {
		t.Fatal("idle gate refuses")
	}
	g.active.Store(3)
	if g.allow(now) {
		t.Fatal("gate allows with 3 Contexts in Switch on 4 CPUs")
	}
	g.active.Store(1)
	g.preempted(now)
	if g.allow(now.Add(contendedFor / 2)) {
		t.Fatal("gate allows just after a preemption")
	}
	if !g.allow(now.Add(2 * contendedFor)) {
		t.Fatal("gate refuses long after a preemption")
	}
	g.loaded.Store(true)
	if g.allow(now.Add(2 * contendedFor)) {
		t.Fatal("gate allows on a loaded host")
	}
}
