package mm

import (
	"bytes"
	"errors"
	"fmt"
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
	u := NewUserfault(m, false, func() { notified++ })
	if err := u.Register(a, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	err := m.HandleFault(a+pageSize+5, int32(unix.SIGSEGV), SEGV_MAPERR)
	var w *UserfaultWait
	if !errors.As(err, &w) || w.Addr != a+pageSize || notified != 1 {
		t.Fatalf("fault = %v (notified %d)", err, notified)
	}
	if addr, write, ok := u.Next(); !ok || addr != a+pageSize || write {
		t.Fatalf("Next = %#x, %v, %v", addr, write, ok)
	}
	if _, _, ok := u.Next(); ok {
		t.Fatal("a second message for one fault")
	}
	src := make([]byte, pageSize)
	src[5] = 'x'
	if n, err := u.Fill(a+pageSize, src, pageSize, false, false); n != pageSize || err != nil {
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
	if n, err := u.Fill(a+pageSize, src, pageSize, false, false); n != 0 || err != unix.EEXIST {
		t.Fatalf("Fill of a present page = %d, %v", n, err)
	}
	if n, err := u.Fill(a+2*pageSize, nil, pageSize, false, false); n != 0 || err != unix.ENOENT {
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

// TestUserfaultKernelAccess: the kernel's access to a missing page of a
// registered range (CopyOut, as read(2) into it; CopyIn, as write(2)
// from it) raises the userfault and waits for it to be resolved, so the
// access sees what UFFDIO_COPY installed, not a zeroed page; with
// UFFD_USER_MODE_ONLY it is EFAULT.
func TestUserfaultKernelAccess(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	a := mustMMap(t, m, anon(4*pageSize, rw))
	notify := make(chan struct{}, 8)
	u := NewUserfault(m, false, func() { notify <- struct{}{} })
	if err := u.Register(a, 3*pageSize); err != nil {
		t.Fatal(err)
	}
	// The handler: resolve each fault with a page of its index's letter.
	type fault struct {
		addr  uintptr
		write bool
	}
	faults := make(chan fault, 8)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-notify:
			case <-stop:
				return
			}
			for {
				addr, write, ok := u.Next()
				if !ok {
					break
				}
				faults <- fault{addr, write}
				src := bytes.Repeat([]byte{byte('A' + (addr-a)/pageSize)}, pageSize)
				if n, err := u.Fill(addr, src, pageSize, false, false); n != pageSize || err != nil {
					t.Errorf("Fill = %d, %v", n, err)
				}
			}
		}
	}()
	// A write of 10 bytes across pages 0 and 1: both fault, in turn, as
	// writes, and the bytes land in the filled pages.
	if n, err := m.CopyOut(a+pageSize-5, []byte("0123456789")); n != 10 || err != nil {
		t.Fatalf("CopyOut = %d, %v", n, err)
	}
	for i, want := range []fault{{a, true}, {a + pageSize, true}} {
		if got := <-faults; got != want {
			t.Fatalf("fault %d = %+v, want %+v", i, got, want)
		}
	}
	got := make([]byte, 12)
	if n, err := m.CopyIn(a+pageSize-6, got); n != 12 || err != nil || string(got) != "A0123456789B" {
		t.Fatalf("CopyIn = %d, %v, %q", n, err, got)
	}
	// A read of page 2: a read fault, and the filled page's bytes.
	if n, err := m.CopyIn(a+2*pageSize+100, got[:3]); n != 3 || err != nil || string(got[:3]) != "CCC" {
		t.Fatalf("CopyIn = %d, %v, %q", n, err, got[:3])
	}
	if f := <-faults; f != (fault{a + 2*pageSize, false}) {
		t.Fatalf("fault = %+v", f)
	}
	// Page 3 is not registered: filled with zeroes, no fault.
	if n, err := m.CopyIn(a+3*pageSize, got[:1]); n != 1 || err != nil || got[0] != 0 {
		t.Fatalf("CopyIn outside = %d, %v, %q", n, err, got[:1])
	}
	select {
	case f := <-faults:
		t.Fatalf("unexpected fault %+v", f)
	default:
	}
	u.Release()

	// UFFD_USER_MODE_ONLY: the kernel's access is EFAULT, and nothing
	// is queued; the application's fault still is.
	b := mustMMap(t, m, anon(2*pageSize, rw))
	uu := NewUserfault(m, true, nil)
	if err := uu.Register(b, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	if n, err := m.CopyOut(b+pageSize-1, []byte("xy")); err != unix.EFAULT || n != 0 {
		t.Fatalf("CopyOut user-mode-only = %d, %v", n, err)
	}
	if uu.Pending() {
		t.Fatal("a kernel access queued a user-mode-only fault")
	}
	var w *UserfaultWait
	if err := m.HandleFault(b, int32(unix.SIGSEGV), SEGV_MAPERR); !errors.As(err, &w) {
		t.Fatalf("fault = %v", err)
	}
	uu.Release()
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

// TestUserfaultPinWaitsUnlocked: a write pin (read(2) of a file into
// registered memory) waits for the userfault without holding the lock
// that keeps Fork off, so that a fork meanwhile cannot make the handler's
// own pinned reads wait behind it, and then pins the filled page.
func TestUserfaultPinWaitsUnlocked(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	a := mustMMap(t, m, anon(2*pageSize, rw))
	notify := make(chan struct{}, 4)
	u := NewUserfault(m, false, func() { notify <- struct{}{} })
	if err := u.Register(a, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	type result struct {
		views [][]byte
		unpin func()
		err   error
	}
	done := make(chan result)
	go func() {
		views, unpin, err := m.Pin(a+pageSize+8, 8, true)
		done <- result{views, unpin, err}
	}()
	<-notify
	addr, write, ok := u.Next()
	if !ok || addr != a+pageSize || !write {
		t.Fatalf("Next = %#x, %v, %v", addr, write, ok)
	}
	if !m.pinMu.TryLock() {
		t.Fatal("the pin waits for the userfault holding pinMu")
	}
	m.pinMu.Unlock()
	if n, err := u.Fill(a+pageSize, bytes.Repeat([]byte{'u'}, pageSize), pageSize, false, false); n != pageSize || err != nil {
		t.Fatalf("Fill = %d, %v", n, err)
	}
	r := <-done
	defer r.unpin()
	if r.err != nil || len(r.views) != 1 || string(r.views[0]) != "uuuuuuuu" {
		t.Fatalf("Pin = %q, %v", r.views, r.err)
	}
	u.Release()
}

// TestLockedWordsNoUserfaultWait: a futex word on a missing page of a
// userfaultfd range is EFAULT through LockedWords (no wait, nothing
// left for the handler to read), while the waiting access raises the
// fault and returns once the handler fills the page.
func TestLockedWordsNoUserfaultWait(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	a := mustMMap(t, m, anon(2*pageSize, rw))
	notify := make(chan struct{}, 8)
	u := NewUserfault(m, false, func() { notify <- struct{}{} })
	if err := u.Register(a, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	lw := m.NoUserfaultWait()
	if _, err := lw.LoadUint32(a); err != unix.EFAULT {
		t.Errorf("LockedWords.LoadUint32 of a missing page = %v, want EFAULT", err)
	}
	if _, err := lw.CompareAndSwapUint32(a+4, 0, 1); err != unix.EFAULT {
		t.Errorf("LockedWords.CompareAndSwapUint32 of a missing page = %v, want EFAULT", err)
	}
	if _, err := lw.AtomicOp32(a+8, func(v uint32) uint32 { return v + 1 }); err != unix.EFAULT {
		t.Errorf("LockedWords.AtomicOp32 of a missing page = %v, want EFAULT", err)
	}
	if addr, _, ok := u.Next(); ok {
		t.Errorf("a fault at %#x is left for the handler after the no-wait accesses", addr)
	}
	done := make(chan error, 1)
	go func() {
		v, err := m.LoadUint32(a + pageSize)
		if err == nil && v != 0x41414141 {
			err = fmt.Errorf("read %#x", v)
		}
		done <- err
	}()
	<-notify
	addr, _, ok := u.Next()
	if !ok || addr != a+pageSize {
		t.Fatalf("the waiting load's fault: %#x, %v", addr, ok)
	}
	if n, err := u.Fill(addr, bytes.Repeat([]byte{'A'}, pageSize), pageSize, false, false); n != pageSize || err != nil {
		t.Fatalf("Fill = %d, %v", n, err)
	}
	if err := <-done; err != nil {
		t.Errorf("LoadUint32 after the fill: %v", err)
	}
	// Once the page is there, LockedWords reads it.
	if v, err := lw.LoadUint32(a + pageSize); err != nil || v != 0x41414141 {
		t.Errorf("LockedWords.LoadUint32 of a filled page = %#x, %v", v, err)
	}
}
