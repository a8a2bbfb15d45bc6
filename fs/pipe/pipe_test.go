package pipe

import (
	"bytes"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

type ctx struct{ vfs.KernelContext }

func (ctx) Credentials() *auth.Credentials { return auth.New(1000, 1000, nil) }

func newPair(t *testing.T, flags int) (r, w *vfs.File) {
	t.Helper()
	r, w, err := New(ctx{}, vfs.New(), flags)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.DecRef(ctx{})
		w.DecRef(ctx{})
	})
	return r, w
}

func TestRoundTripAndStat(t *testing.T) {
	r, w := newPair(t, 0)
	if n, err := w.Write(ctx{}, []byte("hello")); n != 5 || err != nil {
		t.Fatalf("write %d %v", n, err)
	}
	buf := make([]byte, 10)
	if n, err := r.Read(ctx{}, buf); n != 5 || err != nil || string(buf[:5]) != "hello" {
		t.Fatalf("read %d %v %q", n, err, buf[:n])
	}
	st, err := r.Stat(ctx{})
	if err != nil || st.Mode != unix.S_IFIFO|0o600 || st.UID != 1000 || st.Ino == 0 {
		t.Fatalf("stat %+v %v", st, err)
	}
	st2, _ := w.Stat(ctx{})
	if st2.Ino != st.Ino || st2.Dev != st.Dev || st.Dev == 0 {
		t.Fatalf("ends differ: %+v %+v", st, st2)
	}
	if r.Flags() != unix.O_RDONLY || w.Flags() != unix.O_WRONLY {
		t.Fatalf("flags %#x %#x", r.Flags(), w.Flags())
	}
	if _, err := r.Seek(ctx{}, 0, unix.SEEK_SET); err != unix.ESPIPE {
		t.Fatalf("seek %v", err)
	}
	if _, err := r.Write(ctx{}, []byte("x")); err != unix.EBADF {
		t.Fatalf("write to read end %v", err)
	}
}

// fill writes chunk-sized writes until EAGAIN and returns the total.
func fill(t *testing.T, w *vfs.File, chunk int) int {
	t.Helper()
	b := make([]byte, chunk)
	total := 0
	for {
		n, err := w.Write(ctx{}, b)
		if err == unix.EAGAIN {
			return total
		}
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
}

func TestCapacity(t *testing.T) {
	for _, c := range []struct{ chunk, want int }{
		{1, 65536}, {4096, 65536}, {1000, 64000}, {5000, 54096}, {100000, 65536},
	} {
		r, w := newPair(t, unix.O_NONBLOCK)
		if got := fill(t, w, c.chunk); got != c.want {
			t.Errorf("chunk %d: filled %d, want %d", c.chunk, got, c.want)
		}
		if got := r.Readiness(unix.POLLIN); got != unix.POLLIN {
			t.Errorf("readiness %#x", got)
		}
		if got := w.Readiness(unix.POLLOUT); got != 0 {
			t.Errorf("full pipe writable: %#x", got)
		}
	}
}

func TestAtomicNonblockingWrite(t *testing.T) {
	r, w := newPair(t, unix.O_NONBLOCK)
	fill(t, w, 4096)
	buf := make([]byte, 100)
	if n, _ := r.Read(ctx{}, buf); n != 100 {
		t.Fatal(n)
	}
	// 100 bytes free in the first page only: a PIPE_BUF write does not fit
	// in a free slot, so it fails whole.
	if _, err := w.Write(ctx{}, make([]byte, 200)); err != unix.EAGAIN {
		t.Fatalf("small write into full ring: %v", err)
	}
}

func TestEOFAndEPIPE(t *testing.T) {
	v := vfs.New()
	r, w, err := New(ctx{}, v, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(ctx{}, []byte("ab"))
	w.DecRef(ctx{})
	if got := r.Readiness(unix.POLLIN); got != unix.POLLIN|unix.POLLHUP {
		t.Fatalf("readiness after writer closed %#x", got)
	}
	buf := make([]byte, 4)
	if n, _ := r.Read(ctx{}, buf); n != 2 {
		t.Fatal(n)
	}
	if n, err := r.Read(ctx{}, buf); n != 0 || err != nil {
		t.Fatalf("EOF: %d %v", n, err)
	}
	r.DecRef(ctx{})

	r, w, _ = New(ctx{}, v, 0)
	r.DecRef(ctx{})
	if _, err := w.Write(ctx{}, []byte("x")); err != unix.EPIPE {
		t.Fatalf("write without readers: %v", err)
	}
	if got := w.Readiness(unix.POLLOUT); got != unix.POLLOUT|unix.POLLERR {
		t.Fatalf("readiness %#x", got)
	}
	w.DecRef(ctx{})
}

func TestBlockingWriterWokenByReader(t *testing.T) {
	r, w := newPair(t, 0)
	data := bytes.Repeat([]byte("0123456789"), 20000) // 200000 bytes
	done := make(chan error, 1)
	go func() {
		n, err := w.Write(ctx{}, data)
		if err == nil && n != len(data) {
			err = unix.EIO
		}
		done <- err
	}()
	var got []byte
	buf := make([]byte, 7000)
	for len(got) < len(data) {
		n, err := r.Read(ctx{}, buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("data differs")
	}
}

func TestBlockingReaderWokenByWriter(t *testing.T) {
	r, w := newPair(t, 0)
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 10)
		n, _ := r.Read(ctx{}, buf)
		got <- string(buf[:n])
	}()
	time.Sleep(10 * time.Millisecond)
	w.Write(ctx{}, []byte("late"))
	if s := <-got; s != "late" {
		t.Fatal(s)
	}
}

func TestPacketMode(t *testing.T) {
	r, w := newPair(t, unix.O_DIRECT)
	if w.Flags() != unix.O_WRONLY|unix.O_DIRECT || r.Flags() != unix.O_RDONLY {
		t.Fatalf("flags %#x %#x", r.Flags(), w.Flags())
	}
	w.Write(ctx{}, []byte("one"))
	w.Write(ctx{}, []byte("two!"))
	w.Write(ctx{}, make([]byte, 5000))
	buf := make([]byte, 100000)
	for _, want := range []int{3, 2, 4096, 904} {
		if want == 2 {
			// A short read takes part of the packet and drops the rest.
			if n, _ := r.Read(ctx{}, buf[:2]); n != 2 || string(buf[:2]) != "tw" {
				t.Fatalf("short packet read %d %q", n, buf[:n])
			}
			continue
		}
		if n, _ := r.Read(ctx{}, buf); n != want {
			t.Fatalf("packet read %d, want %d", n, want)
		}
	}
}

func TestSetSize(t *testing.T) {
	r, w := newPair(t, unix.O_NONBLOCK)
	for _, c := range []struct {
		arg  uint32
		want int
		err  error
	}{
		{0, 4096, nil}, {1, 4096, nil}, {4097, 8192, nil}, {100000, 131072, nil},
		{1 << 20, 1 << 20, nil}, {1<<20 + 1, 0, unix.EPERM}, {1<<31 + 1, 0, unix.EINVAL},
	} {
		got, err := Fcntl(w, unix.F_SETPIPE_SZ, c.arg, false)
		if got != c.want || err != c.err {
			t.Errorf("F_SETPIPE_SZ %d: %d %v, want %d %v", c.arg, got, err, c.want, c.err)
		}
	}
	Fcntl(w, unix.F_SETPIPE_SZ, 8192, false)
	if got := fill(t, w, 4096); got != 8192 {
		t.Fatalf("filled %d", got)
	}
	if _, err := Fcntl(r, unix.F_SETPIPE_SZ, 4096, false); err != unix.EBUSY {
		t.Fatalf("shrink below contents: %v", err)
	}
	if n, _ := Fcntl(r, unix.F_GETPIPE_SZ, 0, false); n != 8192 {
		t.Fatal(n)
	}
	if n := r.Ops().(*File).Pipe().Buffered(); n != 8192 {
		t.Fatal(n)
	}
}

func TestNotify(t *testing.T) {
	r, w := newPair(t, 0)
	ch := make(chan struct{}, 1)
	e := vfs.NewChannelEntry(unix.POLLIN, ch)
	r.EventRegister(e)
	defer r.EventUnregister(e)
	w.Write(ctx{}, []byte("x"))
	select {
	case <-ch:
	default:
		t.Fatal("no POLLIN notification")
	}
}
