package mm

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPinRanges pins several ranges for writing under one hold of pinMu:
// the views follow the ranges in order, stop at the first range that
// faults (EFAULT), and unpin lets Fork's lock go.
func TestPinRanges(t *testing.T) {
	m := newEnv(t).newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(4*pageSize, rw))
	ranges := []Range{
		{Addr: addr + 3*pageSize + 100, Len: 200},
		{Addr: addr + 10, Len: 0},
		{Addr: addr + pageSize - 5, Len: 10},
	}
	views, unpin, err := m.PinRanges(ranges, true)
	if err != nil {
		t.Fatalf("PinRanges: %v", err)
	}
	if m.pinMu.TryLock() {
		t.Fatal("a write pin does not hold off Fork")
	}
	var got []byte
	for _, v := range views {
		for i := range v {
			v[i] = byte(len(got) + 1)
			got = append(got, v[i])
		}
	}
	unpin()
	if len(got) != 210 {
		t.Fatalf("views cover %d bytes, want 210", len(got))
	}
	if !m.pinMu.TryLock() {
		t.Fatal("unpin kept Fork's lock")
	}
	m.pinMu.Unlock()
	b := make([]byte, 10)
	if _, err := m.CopyIn(addr+pageSize-5, b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, got[200:]) {
		t.Errorf("second range holds %v, want %v", b, got[200:])
	}

	// A range that faults ends the views there.
	if err := m.MProtect(addr+2*pageSize, pageSize, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	views, unpin, err = m.PinRanges([]Range{
		{Addr: addr, Len: 100},
		{Addr: addr + 2*pageSize - 50, Len: 100},
		{Addr: addr + 3*pageSize, Len: 100},
	}, true)
	n := 0
	for _, v := range views {
		n += len(v)
	}
	unpin()
	if err == nil || n != 150 {
		t.Errorf("pin over a read-only page: %d bytes, %v; want 150, an error", n, err)
	}
}
