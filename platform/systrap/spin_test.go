package systrap

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
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

// fakeLoad is a host whose load average and kite's CPU time a test sets.
type fakeLoad struct {
	mu      sync.Mutex
	load1   float64
	cpu     int64
	samples int
}

func (f *fakeLoad) set(load1 float64, cpu int64) {
	f.mu.Lock()
	f.load1, f.cpu = load1, cpu
	f.mu.Unlock()
}

func (f *fakeLoad) sample() (float64, int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.samples++
	return f.load1, f.cpu, true
}

func TestSpinGate(t *testing.T) {
	var host fakeLoad
	g := spinGate{ncpu: 4, sample: host.sample}
	now := time.Unix(1000, 0)
	if !g.enter(now) {
		t.Fatal("idle gate refuses")
	}
	if host.samples != 1 {
		t.Fatalf("the first enter looked at the load %d times, want 1", host.samples)
	}
	if !g.enter(now) {
		t.Fatal("gate refuses a second polling Context on 4 CPUs")
	}
	if g.enter(now) {
		t.Fatal("gate allows a third polling Context on 4 CPUs")
	}
	g.leave()
	if !g.enter(now) {
		t.Fatal("gate refuses after one left")
	}
	g.leave()
	g.leave()
	if a := g.active.Load(); a != 0 {
		t.Fatalf("%d active after all left", a)
	}
	g.preempted(now)
	if g.enter(now.Add(contendedFor / 2)) {
		t.Fatal("gate allows just after a preemption")
	}
	now = now.Add(2 * contendedFor)
	if !g.enter(now) {
		t.Fatal("gate refuses long after a preemption")
	}
	g.leave()
	// The host gets busy, kite uses no CPU: closed from the next look on.
	host.set(4, 0)
	looked := time.Unix(0, g.loadChecked.Load())
	if !g.enter(looked.Add(loadInterval / 2)) {
		t.Fatal("gate looked at the load again within loadInterval")
	}
	g.leave()
	if host.samples != 1 {
		t.Fatalf("the load was looked at %d times within loadInterval, want once", host.samples)
	}
	now = looked.Add(2 * loadInterval)
	if g.enter(now) {
		t.Fatal("gate allows on a loaded host")
	}
	g.ignoreLoad = true
	if !g.enter(now) {
		t.Fatal("gate refuses on a loaded host with ignoreLoad")
	}
	g.leave()
}

// TestSpinGateOwnLoad checks that kite's own part of the load average,
// twice its CPU use averaged over a minute, does not close the gate.
func TestSpinGateOwnLoad(t *testing.T) {
	var host fakeLoad
	g := spinGate{ncpu: 2, sample: host.sample}
	// A load average of 2.5 on 2 CPUs, of which kite's threads and stubs
	// are to be 2 (kite uses one CPU: two threads running).
	host.set(2.5, 0)
	now := time.Unix(1000, 0)
	if g.enter(now) {
		t.Fatal("gate allows at a load average of 2.5 on 2 CPUs before kite ran")
	}
	step := time.Second
	now = now.Add(step)
	host.set(2.5, int64(step))
	g.enter(now)
	want := 2 * (1 - math.Exp(-float64(step)/float64(time.Minute)))
	if got := g.load.Load().ownLoad; math.Abs(got-want) > 1e-9 {
		t.Fatalf("kite's load after a second on one CPU: %v, want %v", got, want)
	}
	// It opens once kite's part exceeds 0.5, within a minute.
	opened := -1
	for i := 2; i <= 60; i++ {
		now = now.Add(step)
		host.set(2.5, int64(i)*int64(step))
		if g.enter(now) {
			g.leave()
			opened = i
			break
		}
	}
	if opened < 0 {
		t.Fatalf("gate still closed after a minute of kite using one CPU (own load %v)", g.load.Load().ownLoad)
	}
	// The same arithmetic: 2(1-exp(-t/60s)) > 0.5 from t = 60 ln(4/3) s.
	if w := int(math.Ceil(60 * math.Log(4.0/3))); opened != w {
		t.Errorf("gate opened after %d s of kite using one CPU, want %d", opened, w)
	}
	// kite stops using CPU: its part decays and the gate closes again.
	cpu := host.cpu
	closed := false
	for i := 0; i < 60 && !closed; i++ {
		now = now.Add(step)
		host.set(2.5, cpu)
		if closed = !g.enter(now); !closed {
			g.leave()
		}
	}
	if !closed {
		t.Fatalf("gate still open after a minute of kite idle (own load %v)", g.load.Load().ownLoad)
	}
}

// TestSpinGateConcurrent enters the gate from many goroutines at once,
// each making the next look at the load: no more than half the CPUs may
// ever be inside, and (under -race) the looks must not race.
func TestSpinGateConcurrent(t *testing.T) {
	var host fakeLoad
	g := spinGate{ncpu: 4, sample: host.sample}
	var clock atomic.Int64
	clock.Store(time.Unix(1000, 0).UnixNano())
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				now := time.Unix(0, clock.Add(int64(loadInterval)+1))
				host.set(0, now.UnixNano()/4)
				if !g.enter(now) {
					runtime.Gosched()
					continue
				}
				n := inside.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				runtime.Gosched()
				inside.Add(-1)
				g.leave()
			}
		}()
	}
	wg.Wait()
	if m := most.Load(); m > 2 {
		t.Fatalf("%d Contexts polled at once on 4 CPUs", m)
	}
	if a := g.active.Load(); a != 0 {
		t.Fatalf("%d active after all left", a)
	}
	if host.samples < 2 {
		t.Fatalf("the load was looked at %d times", host.samples)
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
