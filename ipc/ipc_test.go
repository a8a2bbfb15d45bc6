package ipc

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// testCtx is a vfs.Context for tests (no task: blocking waits are not
// interruptible).
type testCtx = vfs.KernelContext

var ctx testCtx

// plainOps is a file that cannot be polled (like a regular file).
type plainOps struct{ vfs.FileDefaults }

func newPlain(t *testing.T, v *vfs.VirtualFilesystem) *vfs.File {
	t.Helper()
	f, err := v.NewAnonymousFile(ctx, "plain", anonInode{}, plainOps{}, unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newEventFD(t *testing.T, v *vfs.VirtualFilesystem, init uint64, flags int) *vfs.File {
	t.Helper()
	f, err := NewEventFD(ctx, v, init, flags)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newEpoll(t *testing.T, v *vfs.VirtualFilesystem) *vfs.File {
	t.Helper()
	f, err := NewEpoll(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	return b
}

func readU64(t *testing.T, f *vfs.File) (uint64, error) {
	t.Helper()
	b := make([]byte, 8)
	n, err := f.Read(ctx, b)
	if err != nil {
		return 0, err
	}
	if n != 8 {
		t.Fatalf("read %d bytes, want 8", n)
	}
	return binary.LittleEndian.Uint64(b), nil
}

func TestEventFDCounter(t *testing.T) {
	v := vfs.New()
	f := newEventFD(t, v, 3, EFD_NONBLOCK)
	defer f.DecRef(ctx)
	if _, err := f.Write(ctx, u64(4)); err != nil {
		t.Fatal(err)
	}
	if got, err := readU64(t, f); err != nil || got != 7 {
		t.Fatalf("read = %d, %v; want 7", got, err)
	}
	if _, err := readU64(t, f); err != unix.EAGAIN {
		t.Fatalf("empty read: %v, want EAGAIN", err)
	}
	if _, err := f.Read(ctx, make([]byte, 7)); err != unix.EINVAL {
		t.Fatalf("short read: %v, want EINVAL", err)
	}
	if _, err := f.Write(ctx, []byte{1, 2, 3}); err != unix.EINVAL {
		t.Fatalf("short write: %v, want EINVAL", err)
	}
	if _, err := f.Write(ctx, make([]byte, 16)); err != unix.EINVAL {
		t.Fatalf("16-byte write: %v, want EINVAL", err)
	}
	if _, err := f.Write(ctx, u64(1<<64-1)); err != unix.EINVAL {
		t.Fatalf("write of 2^64-1: %v, want EINVAL", err)
	}
	if _, err := f.Write(ctx, u64(1<<64-2)); err != nil {
		t.Fatalf("write of the maximum: %v", err)
	}
	if r := f.Readiness(unix.POLLIN | unix.POLLOUT); r != unix.POLLIN {
		t.Fatalf("full counter readiness %#x, want POLLIN", r)
	}
	if _, err := f.Write(ctx, u64(1)); err != unix.EAGAIN {
		t.Fatalf("overflowing write: %v, want EAGAIN", err)
	}
	if _, err := f.Write(ctx, u64(0)); err != nil {
		t.Fatalf("write of 0 to a full counter: %v", err)
	}
}

func TestEventFDSemaphore(t *testing.T) {
	v := vfs.New()
	f := newEventFD(t, v, 2, EFD_NONBLOCK|EFD_SEMAPHORE)
	defer f.DecRef(ctx)
	for i := 0; i < 2; i++ {
		if got, err := readU64(t, f); err != nil || got != 1 {
			t.Fatalf("read %d = %d, %v; want 1", i, got, err)
		}
	}
	if _, err := readU64(t, f); err != unix.EAGAIN {
		t.Fatalf("third read: %v, want EAGAIN", err)
	}
	if _, err := NewEventFD(ctx, v, 0, 0x100); err != unix.EINVAL {
		t.Fatalf("bad flags: %v, want EINVAL", err)
	}
}

func TestEventFDBlockingRead(t *testing.T) {
	v := vfs.New()
	f := newEventFD(t, v, 0, 0)
	defer f.DecRef(ctx)
	go func() {
		time.Sleep(10 * time.Millisecond)
		f.Write(ctx, u64(5))
	}()
	if got, err := readU64(t, f); err != nil || got != 5 {
		t.Fatalf("blocking read = %d, %v; want 5", got, err)
	}
}

// collect runs a zero-timeout epoll_wait for up to max events.
func collect(t *testing.T, ep *vfs.File, max int) []EpollEvent {
	t.Helper()
	var evs []EpollEvent
	_, err := EpollOf(ep).Wait(max, nil, nil, func(e EpollEvent) bool {
		evs = append(evs, e)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestEpollCtlErrors(t *testing.T) {
	v := vfs.New()
	ep := newEpoll(t, v)
	defer ep.DecRef(ctx)
	efd := newEventFD(t, v, 0, 0)
	defer efd.DecRef(ctx)
	plain := newPlain(t, v)
	defer plain.DecRef(ctx)
	in := EpollEvent{Events: unix.POLLIN}
	cases := []struct {
		name string
		epf  *vfs.File
		op   int
		tf   *vfs.File
		ev   EpollEvent
		want error
	}{
		{"regular file", ep, EpollCtlAdd, plain, in, unix.EPERM},
		{"not epoll", efd, EpollCtlAdd, ep, in, unix.EINVAL},
		{"itself", ep, EpollCtlAdd, ep, in, unix.EINVAL},
		{"mod missing", ep, EpollCtlMod, efd, in, unix.ENOENT},
		{"del missing", ep, EpollCtlDel, efd, in, unix.ENOENT},
		{"exclusive with mod", ep, EpollCtlMod, efd, EpollEvent{Events: unix.POLLIN | EPOLLEXCLUSIVE}, unix.EINVAL},
		{"exclusive with oneshot", ep, EpollCtlAdd, efd, EpollEvent{Events: unix.POLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT}, unix.EINVAL},
		{"add", ep, EpollCtlAdd, efd, in, nil},
		{"add again", ep, EpollCtlAdd, efd, in, unix.EEXIST},
		{"bad op", ep, 7, efd, in, unix.EINVAL},
		{"mod", ep, EpollCtlMod, efd, in, nil},
		{"del", ep, EpollCtlDel, efd, in, nil},
		{"add exclusive", ep, EpollCtlAdd, efd, EpollEvent{Events: unix.POLLIN | EPOLLEXCLUSIVE}, nil},
		{"mod exclusive item", ep, EpollCtlMod, efd, in, unix.EINVAL},
	}
	for _, c := range cases {
		if err := Ctl(c.epf, c.op, 3, c.tf, c.ev); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestEpollLoops(t *testing.T) {
	v := vfs.New()
	var eps []*vfs.File
	for i := 0; i < 7; i++ {
		eps = append(eps, newEpoll(t, v))
		defer eps[i].DecRef(ctx)
	}
	in := EpollEvent{Events: unix.POLLIN}
	// A chain of five instances is allowed, a sixth is ELOOP.
	for i := 1; i < 6; i++ {
		want := error(nil)
		if i == 5 {
			want = unix.ELOOP
		}
		if err := Ctl(eps[i], EpollCtlAdd, int32(i-1), eps[i-1], in); err != want {
			t.Fatalf("adding %d into %d: %v, want %v", i-1, i, err, want)
		}
	}
	if err := Ctl(eps[0], EpollCtlAdd, 2, eps[2], in); err != unix.ELOOP {
		t.Fatalf("cycle: %v, want ELOOP", err)
	}
	if err := Ctl(eps[6], EpollCtlAdd, 0, eps[0], in); err != nil {
		t.Fatalf("second parent: %v", err)
	}
}

func TestEpollLevelAndEdge(t *testing.T) {
	v := vfs.New()
	ep := newEpoll(t, v)
	defer ep.DecRef(ctx)
	lt := newEventFD(t, v, 0, EFD_NONBLOCK)
	defer lt.DecRef(ctx)
	et := newEventFD(t, v, 0, EFD_NONBLOCK)
	defer et.DecRef(ctx)
	if err := Ctl(ep, EpollCtlAdd, 4, lt, EpollEvent{Events: unix.POLLIN, Data: 4}); err != nil {
		t.Fatal(err)
	}
	if err := Ctl(ep, EpollCtlAdd, 5, et, EpollEvent{Events: unix.POLLIN | EPOLLET, Data: 5}); err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, ep, 8); len(evs) != 0 {
		t.Fatalf("nothing written, got %v", evs)
	}
	lt.Write(ctx, u64(1))
	et.Write(ctx, u64(1))
	for round := 0; round < 2; round++ {
		evs := collect(t, ep, 8)
		want := []EpollEvent{{unix.POLLIN, 4}, {unix.POLLIN, 5}}
		if round == 1 {
			want = want[:1] // the edge-triggered item is not reported again
		}
		if len(evs) != len(want) {
			t.Fatalf("round %d: %v, want %v", round, evs, want)
		}
		for i := range want {
			if evs[i] != want[i] {
				t.Fatalf("round %d: %v, want %v", round, evs, want)
			}
		}
	}
	et.Write(ctx, u64(1))
	if evs := collect(t, ep, 8); len(evs) != 2 || evs[1].Data != 5 {
		t.Fatalf("after new data: %v, want both items", evs)
	}
	readU64(t, lt)
	readU64(t, et)
	if evs := collect(t, ep, 8); len(evs) != 0 {
		t.Fatalf("after reads: %v", evs)
	}
}

func TestEpollOneShot(t *testing.T) {
	v := vfs.New()
	ep := newEpoll(t, v)
	defer ep.DecRef(ctx)
	efd := newEventFD(t, v, 1, EFD_NONBLOCK)
	defer efd.DecRef(ctx)
	ev := EpollEvent{Events: unix.POLLIN | EPOLLONESHOT, Data: 9}
	if err := Ctl(ep, EpollCtlAdd, 3, efd, ev); err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, ep, 8); len(evs) != 1 {
		t.Fatalf("first wait: %v", evs)
	}
	efd.Write(ctx, u64(1))
	if evs := collect(t, ep, 8); len(evs) != 0 {
		t.Fatalf("disabled one-shot item reported: %v", evs)
	}
	if err := Ctl(ep, EpollCtlMod, 3, efd, ev); err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, ep, 8); len(evs) != 1 || evs[0].Data != 9 {
		t.Fatalf("re-armed: %v", evs)
	}
}

func TestEpollRoundRobin(t *testing.T) {
	v := vfs.New()
	ep := newEpoll(t, v)
	defer ep.DecRef(ctx)
	for i := 0; i < 3; i++ {
		f := newEventFD(t, v, 1, 0)
		defer f.DecRef(ctx)
		if err := Ctl(ep, EpollCtlAdd, int32(i), f, EpollEvent{Events: unix.POLLIN, Data: uint64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []uint64
	for i := 0; i < 6; i++ {
		evs := collect(t, ep, 1)
		if len(evs) != 1 {
			t.Fatalf("wait %d: %v", i, evs)
		}
		got = append(got, evs[0].Data)
	}
	for i, d := range got {
		if d != uint64(i%3) {
			t.Fatalf("order %v, want 0 1 2 0 1 2", got)
		}
	}
}

func TestEpollNested(t *testing.T) {
	v := vfs.New()
	outer := newEpoll(t, v)
	defer outer.DecRef(ctx)
	inner := newEpoll(t, v)
	defer inner.DecRef(ctx)
	efd := newEventFD(t, v, 0, EFD_NONBLOCK)
	defer efd.DecRef(ctx)
	if err := Ctl(inner, EpollCtlAdd, 5, efd, EpollEvent{Events: unix.POLLIN}); err != nil {
		t.Fatal(err)
	}
	if err := Ctl(outer, EpollCtlAdd, 4, inner, EpollEvent{Events: unix.POLLIN, Data: 44}); err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, outer, 4); len(evs) != 0 {
		t.Fatalf("idle: %v", evs)
	}
	if r := inner.Readiness(unix.POLLIN); r != 0 {
		t.Fatalf("idle inner readiness %#x", r)
	}
	efd.Write(ctx, u64(1))
	if r := inner.Readiness(unix.POLLIN | unix.POLLOUT); r != unix.POLLIN {
		t.Fatalf("inner readiness %#x, want POLLIN", r)
	}
	evs := collect(t, outer, 4)
	if len(evs) != 1 || evs[0] != (EpollEvent{unix.POLLIN, 44}) {
		t.Fatalf("outer: %v", evs)
	}
}

func TestEpollForgetsReleasedFiles(t *testing.T) {
	v := vfs.New()
	ep := newEpoll(t, v)
	defer ep.DecRef(ctx)
	efd := newEventFD(t, v, 1, 0)
	efd.IncRef() // a dup
	if err := Ctl(ep, EpollCtlAdd, 3, efd, EpollEvent{Events: unix.POLLIN}); err != nil {
		t.Fatal(err)
	}
	efd.DecRef(ctx)
	if evs := collect(t, ep, 4); len(evs) != 1 {
		t.Fatalf("with a reference left: %v", evs)
	}
	efd.DecRef(ctx)
	if evs := collect(t, ep, 4); len(evs) != 0 {
		t.Fatalf("released file reported: %v", evs)
	}
	if n := len(EpollOf(ep).items); n != 0 {
		t.Fatalf("%d items left", n)
	}
}

func TestEpollWaitBlocks(t *testing.T) {
	v := vfs.New()
	ep := newEpoll(t, v)
	defer ep.DecRef(ctx)
	efd := newEventFD(t, v, 0, 0)
	defer efd.DecRef(ctx)
	if err := Ctl(ep, EpollCtlAdd, 3, efd, EpollEvent{Events: unix.POLLIN | EPOLLET}); err != nil {
		t.Fatal(err)
	}
	timedOut := func(ch <-chan struct{}) error {
		select {
		case <-ch:
			return nil
		case <-time.After(20 * time.Millisecond):
			return unix.ETIMEDOUT
		}
	}
	n, err := EpollOf(ep).Wait(4, nil, timedOut, func(EpollEvent) bool { return true })
	if n != 0 || err != nil {
		t.Fatalf("timed-out wait = %d, %v", n, err)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		efd.Write(ctx, u64(1))
	}()
	forever := func(ch <-chan struct{}) error { <-ch; return nil }
	n, err = EpollOf(ep).Wait(4, nil, forever, func(EpollEvent) bool { return true })
	if n != 1 || err != nil {
		t.Fatalf("woken wait = %d, %v", n, err)
	}
	interrupted := func(<-chan struct{}) error { return unix.Errno(512) }
	if _, err := EpollOf(ep).Wait(4, nil, interrupted, func(EpollEvent) bool { return true }); err != unix.EINTR {
		t.Fatalf("interrupted wait: %v, want EINTR", err)
	}
	// An event that cannot be copied out stays ready.
	efd.Write(ctx, u64(1))
	if _, err := EpollOf(ep).Wait(4, nil, nil, func(EpollEvent) bool { return false }); err != unix.EFAULT {
		t.Fatalf("faulting put: %v, want EFAULT", err)
	}
	if evs := collect(t, ep, 4); len(evs) != 1 {
		t.Fatalf("after EFAULT: %v", evs)
	}
}
