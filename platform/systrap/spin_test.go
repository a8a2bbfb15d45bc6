package systrap

import (
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	var b budget
	if d := b.next(); d != 0 {
		t.Fatalf("first budget %v, want none", d)
	}
	// An answer that came soon after all sets it to twice its time.
	b.observe(5*time.Microsecond, false)
	if d := b.next(); d != 10*time.Microsecond {
		t.Fatalf("after a 5us answer: %v, want 10us", d)
	}
	b.observe(time.Microsecond/2, false)
	if d := b.next(); d != spinMin {
		t.Fatalf("after a 0.5us answer: %v, want %v", d, spinMin)
	}
	b.observe(spinMax, false)
	if d := b.next(); d != spinMax {
		t.Fatalf("after a %v answer: %v", spinMax, b.next())
	}
	// Caught answers keep it.
	b.observe(time.Microsecond, true)
	if d := b.next(); d != spinMax {
		t.Fatalf("after a caught answer: %v, want %v", d, spinMax)
	}
	// Late answers halve it down to nothing.
	for i := 0; b.next() != 0; i++ {
		if i > 10 {
			t.Fatalf("still %v after %d late answers", b.next(), i)
		}
		b.observe(time.Millisecond, false)
	}
}

func TestSpinGate(t *testing.T) {
	g := spinGate{ncpu: 4}
	g.loadChecked.Store(time.Now().UnixNano()) // the host's load is not this test's
	now := time.Now()
	if !g.allow(now) {
		t.Fatal("idle gate refuses")
	}
	g.active.Store(2)
	if g.allow(now) {
		t.Fatal("gate allows a third polling Context on 4 CPUs")
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

func TestSpinStateBySyscall(t *testing.T) {
	var s spinState
	// A ping-pong: write (1) answered at once, read (0) answered late
	// (it waits for the peer), the program making the next call at once.
	for i := 0; i < 10; i++ {
		for _, nr := range []uint64{1, 0} {
			s.event(slot(nr))
			lat := 3 * time.Microsecond
			if nr == 0 {
				lat = time.Millisecond
			}
			s.stub[s.last].observe(lat, false)
			s.kite[s.last].observe(time.Microsecond, false)
		}
	}
	// The latest event was a read: the next call is the write.
	kite, stub := s.budgets()
	if stub != 6*time.Microsecond {
		t.Errorf("stub budget for the write that follows a read: %v, want 6us", stub)
	}
	if kite != spinMin {
		t.Errorf("kite's budget after a read: %v, want %v", kite, spinMin)
	}
	s.event(slot(1))
	if _, stub := s.budgets(); stub != 0 {
		t.Errorf("stub budget for the read that follows a write: %v, want none", stub)
	}
	if slot(100000) != spinSlots-1 {
		t.Error("a big number has a slot of its own")
	}
}
