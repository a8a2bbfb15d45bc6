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
	n, err := p.ToFile(ctx{}, 100, false, nil, func(b []byte) (int, error) { return 4, unix.ENOSPC })
	if n != 4 || err != nil {
		t.Fatalf("short write: %d %v", n, err)
	}
	if _, err := p.ToFile(ctx{}, 100, false, nil, func(b []byte) (int, error) { return 0, unix.ENOSPC }); err != unix.ENOSPC {
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
	if _, _, err := p.FromFile(ctx{}, 10, true, nil, nil); err != unix.EAGAIN {
		t.Fatalf("full nonblock: %v", err)
	}
	done := make(chan int)
	go func() {
		n, _, _ := p.FromFile(ctx{}, 3*pageSize, false, nil, func(b []byte) (int, error) { return copy(b, make([]byte, len(b))), nil })
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

// Two splicers moving between the same pipes in both directions must not
// deadlock, and concurrent splicers must neither lose nor duplicate data.
func TestConcurrentSplicers(t *testing.T) {
	ra, wa := newPair(t, 0)
	rb, wb := newPair(t, 0)
	_ = wb // keeps b's writer count up
	rc, wc := newPair(t, 0)
	_ = wc
	a, b, c := Of(ra), Of(rb), Of(rc)
	const total = 1 << 20
	go func() {
		chunk := make([]byte, 1000)
		for i := range chunk {
			chunk[i] = 1
		}
		for sent := 0; sent < total; sent += len(chunk) {
			wa.Write(ctx{}, chunk[:min(len(chunk), total-sent)])
		}
	}()
	stop := make(chan struct{})
	done := make(chan struct{}, 3)
	for i := 0; i < 2; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := Splice(ctx{}, a, b, 7000, true); err != nil && err != unix.EAGAIN {
					t.Error(err)
					return
				}
			}
		}()
	}
	// The reverse direction at the same time, for a while; then it gives
	// everything back.
	go func() {
		defer func() { done <- struct{}{} }()
		for i := 0; i < 5000; i++ {
			Splice(ctx{}, b, c, 10, true)
			Splice(ctx{}, c, b, 10, true)
		}
		for c.Buffered() > 0 {
			Splice(ctx{}, c, b, 1<<20, false)
		}
	}()
	buf := make([]byte, 65536)
	got := 0
	deadline := time.Now().Add(20 * time.Second)
	for got < total && time.Now().Before(deadline) {
		n, err := rb.Read(ctx{}, buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range buf[:n] {
			if x != 1 {
				t.Fatalf("byte %d", x)
			}
		}
		got += n
	}
	close(stop)
	for i := 0; i < 3; i++ {
		<-done
	}
	rest := b.Buffered() + c.Buffered()
	if got != total || got+rest != total || a.Buffered() != 0 {
		t.Fatalf("read %d + %d left of %d (a keeps %d)", got, rest, total, a.Buffered())
	}
}
