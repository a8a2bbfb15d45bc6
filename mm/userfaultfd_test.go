package mm

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestUserfault: a missing-page fault in registered memory is queued and
// waits; Fill installs the page and wakes it; the retry maps it.
func TestUserfault(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	a := mustMMap(t, m, anon(4*pageSize, rw))
	notified := 0
	u := NewUserfault(m, func() { notified++ })
	if err := u.Register(a, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	err := m.HandleFault(a+pageSize+5, int32(unix.SIGSEGV), SEGV_MAPERR)
	var w *UserfaultWait
	if !errors.As(err, &w) || w.Addr != a+pageSize || notified != 1 {
		t.Fatalf("fault = %v (notified %d)", err, notified)
	}
	if addr, ok := u.Next(); !ok || addr != a+pageSize {
		t.Fatalf("Next = %#x, %v", addr, ok)
	}
	if _, ok := u.Next(); ok {
		t.Fatal("a second message for one fault")
	}
	src := make([]byte, pageSize)
	src[5] = 'x'
	if n, err := u.Fill(a+pageSize, src, pageSize, false); n != pageSize || err != nil {
		t.Fatalf("Fill = %d, %v", n, err)
	}
	select {
	case <-w.Done():
	default:
		t.Fatal("Fill did not wake the fault")
	}
	if got, err := appRead(m, a+pageSize+5, 1); err != nil || got[0] != 'x' {
		t.Fatalf("read after fill = %q, %v", got, err)
	}
	if n, err := u.Fill(a+pageSize, src, pageSize, false); n != 0 || err != unix.EEXIST {
		t.Fatalf("Fill of a present page = %d, %v", n, err)
	}
	if n, err := u.Fill(a+2*pageSize, nil, pageSize, false); n != 0 || err != unix.ENOENT {
		t.Fatalf("Fill outside the range = %d, %v", n, err)
	}
	// Pages outside the range fault as usual; after Release the range
	// does too.
	if err := m.HandleFault(a+3*pageSize, int32(unix.SIGSEGV), SEGV_MAPERR); err != nil {
		t.Fatal(err)
	}
	err = m.HandleFault(a, int32(unix.SIGSEGV), SEGV_MAPERR)
	if !errors.As(err, &w) {
		t.Fatalf("fault = %v", err)
	}
	u.Release()
	select {
	case <-w.Done():
	default:
		t.Fatal("Release did not wake the fault")
	}
	if err := m.HandleFault(a, int32(unix.SIGSEGV), SEGV_MAPERR); err != nil {
		t.Fatalf("fault after release = %v", err)
	}
}

// TestPageSet covers the guard pages' set.
func TestPageSet(t *testing.T) {
	var s pageSet
	s.update(0x10000, 0x10000+100*pageSize, true)
	s.update(0x10000+10*pageSize, 0x10000+90*pageSize, false)
	for _, c := range []struct {
		i    uintptr
		want bool
	}{{0, true}, {9, true}, {10, false}, {89, false}, {90, true}, {99, true}, {100, false}} {
		if got := s.has(0x10000 + c.i*pageSize); got != c.want {
			t.Errorf("page %d: %v, want %v", c.i, got, c.want)
		}
	}
	if g, ok := s.first(0x10000+10*pageSize, 0x10000+200*pageSize); !ok || g != 0x10000+90*pageSize {
		t.Errorf("first = %#x, %v", g, ok)
	}
	if n := len(s.pages(0, 1<<40)); n != 20 {
		t.Errorf("%d pages", n)
	}
	s.update(0, 1<<46, false) // wider than the words there are
	if len(s.words) != 0 {
		t.Errorf("%d words left", len(s.words))
	}
}
