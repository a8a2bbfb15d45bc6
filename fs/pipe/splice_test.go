package pipe

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSpliceTeeBetweenPipes(t *testing.T) {
	r1, w1 := newPair(t, 0)
	r2, w2 := newPair(t, 0)
	src, dst := Of(r1), Of(w2)
	if n, err := Splice(ctx{}, src, dst, 10, true); n != 0 || err != unix.EAGAIN {
		t.Fatalf("empty nonblock: %d %v", n, err)
	}
	w1.Write(ctx{}, []byte("abcdef"))
	if n, err := Tee(ctx{}, src, dst, 4, false); n != 4 || err != nil {
		t.Fatalf("tee %d %v", n, err)
	}
	if n, err := Splice(ctx{}, src, dst, 100, false); n != 6 || err != nil {
		t.Fatalf("splice %d %v", n, err)
	}
	buf := make([]byte, 20)
	n, _ := r2.Read(ctx{}, buf)
	if string(buf[:n]) != "abcdabcdef" {
		t.Fatalf("got %q", buf[:n])
	}
	if src.Buffered() != 0 {
		t.Fatalf("source keeps %d", src.Buffered())
	}
}

func TestToFileGivesBackWhatIsNotWritten(t *testing.T) {
	r, w := newPair(t, 0)
	p := Of(r)
	w.Write(ctx{}, []byte("0123456789"))
	n, err := p.ToFile(ctx{}, 100, false, func(b []byte) (int, error) { return 4, unix.ENOSPC })
	if n != 4 || err != nil {
		t.Fatalf("short write: %d %v", n, err)
	}
	if _, err := p.ToFile(ctx{}, 100, false, func(b []byte) (int, error) { return 0, unix.ENOSPC }); err != unix.ENOSPC {
		t.Fatalf("failed write: %v", err)
	}
	buf := make([]byte, 20)
	m, _ := r.Read(ctx{}, buf)
	if string(buf[:m]) != "456789" {
		t.Fatalf("left %q", buf[:m])
	}
}

func TestFromFileWaitsForRoom(t *testing.T) {
	r, w := newPair(t, unix.O_NONBLOCK)
	p := Of(w)
	total := fill(t, w, pageSize)
	if _, _, err := p.FromFile(ctx{}, 10, true, nil); err != unix.EAGAIN {
		t.Fatalf("full nonblock: %v", err)
	}
	done := make(chan int)
	go func() {
		n, _, _ := p.FromFile(ctx{}, 3*pageSize, false, func(b []byte) (int, error) { return copy(b, make([]byte, len(b))), nil })
		done <- n
	}()
	time.Sleep(20 * time.Millisecond)
	buf := make([]byte, pageSize)
	r.Read(ctx{}, buf)
	select {
	case n := <-done:
		if n != pageSize {
			t.Fatalf("moved %d, want one free page", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("FromFile did not wake")
	}
	if got := p.Buffered(); got != total {
		t.Fatalf("buffered %d want %d", got, total)
	}
}
