package pipe

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

type fifoInode struct{ vfs.InodeDefaults }

func TestFIFOOpenRules(t *testing.T) {
	tab := &fifoTable{pipes: make(map[vfs.Inode]*Pipe)}
	ino := &fifoInode{}
	if _, err := tab.open(ctx{}, ino, unix.O_WRONLY|unix.O_NONBLOCK); err != unix.ENXIO {
		t.Fatalf("nonblocking writer without reader: %v", err)
	}
	if len(tab.pipes) != 0 {
		t.Fatal("failed open left the pipe behind")
	}
	r, err := tab.open(ctx{}, ino, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	rf := r.(*File)
	if got := rf.Readiness(unix.POLLIN); got != 0 {
		t.Fatalf("no POLLHUP before a writer came: %#x", got)
	}
	w, err := tab.open(ctx{}, ino, unix.O_WRONLY|unix.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	if w.(*File).p != rf.p {
		t.Fatal("two opens of one FIFO got different pipes")
	}
	w.Release(ctx{})
	if got := rf.Readiness(unix.POLLIN); got != unix.POLLHUP {
		t.Fatalf("POLLHUP after the writer left: %#x", got)
	}
	r.Release(ctx{})
	if len(tab.pipes) != 0 {
		t.Fatal("pipe kept after the last close")
	}

	// A blocking reader waits for a writer.
	done := make(chan vfs.FileOperations, 1)
	go func() {
		r, err := tab.open(ctx{}, ino, unix.O_RDONLY)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	select {
	case <-done:
		t.Fatal("reader did not wait for a writer")
	case <-time.After(20 * time.Millisecond):
	}
	rw, err := tab.open(ctx{}, ino, unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	r = <-done
	r.Release(ctx{})
	rw.Release(ctx{})
	if _, err := tab.open(ctx{}, ino, 3); err != unix.EINVAL {
		t.Fatalf("O_ACCMODE 3: %v", err)
	}
}
