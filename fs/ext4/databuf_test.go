package ext4

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// countingDev counts the device writes of an image file.
type countingDev struct {
	*os.File
	writes atomic.Int64
}

func (d *countingDev) WriteAt(p []byte, off int64) (int, error) {
	d.writes.Add(1)
	return d.File.WriteAt(p, off)
}

// TestDataBuffer: small file writes wait in memory and reach the image
// in batches (far fewer device writes than files), reads see them before
// and after, writes that go straight to the device over buffered blocks,
// truncation and deletion of buffered data all leave the right bytes, and
// the image is clean and complete after Close.
func TestDataBuffer(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, "128M")
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	dev := &countingDev{File: f}
	e, err := OpenRW(dev, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	d := must[uint32](t)(e.Mkdir(RootIno, "d", 0o755, 0, 0))
	want := map[string][]byte{}
	content := func(i int) []byte {
		return bytes.Repeat([]byte{byte('a' + i%26)}, 100+i%300)
	}
	// More files than one flush holds.
	n := dataBufMax/e.BlockSize() + 500
	w0 := dev.writes.Load()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("f%d", i)
		ino := must[uint32](t)(e.Create(d, name, 0o644, 0, 0))
		must[int](t)(e.WriteAt(ino, content(i), 0))
		want[name] = content(i)
	}
	if w := dev.writes.Load() - w0; w > int64(n/20) {
		t.Errorf("%d device writes for %d small files, want the data written in batches", w, n)
	}
	// Buffered and flushed data read back alike, through a File (which
	// reads without the file system's lock) and through ReadAt.
	check := func(e *FS, when string) {
		t.Helper()
		for name, data := range want {
			ino, err := e.Lookup(d, name)
			if err != nil {
				t.Fatalf("%s: lookup %s: %v", when, name, err)
			}
			if got := readAllIno(t, e, ino); !bytes.Equal(got, data) {
				t.Fatalf("%s: %s holds %d bytes %.20q, want %d bytes %.20q", when, name, len(got), got, len(data), data)
			}
		}
	}
	check(e, "buffered")

	// A small write into a block of an existing file (read, then
	// changed in the buffer), then a large write straight to the device
	// over it and its neighbours.
	big := must[uint32](t)(e.Create(d, "big", 0o644, 0, 0))
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*dataBufDirect/16)
	must[int](t)(e.WriteAt(big, data, 0))
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	copy(data[5000:], "small write")
	must[int](t)(e.WriteAt(big, []byte("small write"), 5000))
	copy(data[70000:], "another")
	must[int](t)(e.WriteAt(big, []byte("another"), 70000))
	large := bytes.Repeat([]byte("L"), 2*dataBufDirect)
	copy(data[6000:], large)
	must[int](t)(e.WriteAt(big, large, 6000))
	copy(data[4090:], "over the edge")
	must[int](t)(e.WriteAt(big, []byte("over the edge"), 4090))
	want["big"] = data

	// Buffered data of a truncated and of a deleted file goes with its
	// blocks; new files may get the blocks after the next commit.
	tr := must[uint32](t)(e.Create(d, "trunc", 0o644, 0, 0))
	must[int](t)(e.WriteAt(tr, []byte("gone soon"), 0))
	if err := e.Truncate(tr, 3); err != nil {
		t.Fatal(err)
	}
	must[int](t)(e.WriteAt(tr, []byte("X"), 8000))
	want["trunc"] = append(append([]byte("gon"), make([]byte, 8000-3)...), 'X')
	for i := 0; i < 50; i++ {
		name := fmt.Sprintf("f%d", i)
		if err := e.Unlink(d, name); err != nil {
			t.Fatal(err)
		}
		delete(want, name)
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		name := fmt.Sprintf("g%d", i)
		ino := must[uint32](t)(e.Create(d, name, 0o644, 0, 0))
		must[int](t)(e.WriteAt(ino, content(i+7), 0))
		want[name] = content(i + 7)
	}
	check(e, "after the changes")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fsckClean(t, img)
	r, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ro := must[*FS](t)(Open(r, Options{}))
	check(ro, "reopened")
	if _, err := ro.Lookup(d, "f0"); err != unix.ENOENT {
		t.Fatalf("deleted f0: %v", err)
	}
}

// TestDataBufferFlushDuringRead: a read that found a file's data in the
// buffer but read the image before a flush wrote it there, and whose
// buffer blocks were reused meanwhile, reads the image again.
func TestDataBufferFlushDuringRead(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, "32M")
	e, f := openRW(t, img)
	defer f.Close()
	want := bytes.Repeat([]byte("reader"), 100)
	ino := must[uint32](t)(e.Create(RootIno, "r", 0o644, 0, 0))
	must[int](t)(e.WriteAt(ino, want, 0))
	rf := must[*File](t)(e.OpenFile(ino))
	tr := e.dev.(*txReader)
	tr.afterRead = func() {
		tr.afterRead = nil
		e.mu.Lock()
		err := e.flushDataKeep(true)
		e.mu.Unlock()
		if err != nil {
			t.Error(err)
		}
		other := must[uint32](t)(e.Create(RootIno, "other", 0o644, 0, 0))
		must[int](t)(e.WriteAt(other, bytes.Repeat([]byte{'x'}, 4096), 0))
	}
	buf := make([]byte, len(want))
	if n, err := rf.ReadAt(buf, 0); n != len(want) || !bytes.Equal(buf, want) {
		t.Fatalf("read %d bytes %.20q (%v), want %.20q", n, buf[:n], err, want)
	}
	if tr.afterRead != nil {
		t.Fatal("the read did not go through the hook")
	}
}

// TestDataBufferConcurrentReads: reads without the file system's lock
// (File.ReadAt) running while the buffer is flushed and its blocks
// reused for other files always see the file's own bytes.
func TestDataBufferConcurrentReads(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, "128M")
	e, f := openRW(t, img)
	defer f.Close()
	d := must[uint32](t)(e.Mkdir(RootIno, "d", 0o755, 0, 0))
	want := bytes.Repeat([]byte("reader"), 100)
	ino := must[uint32](t)(e.Create(d, "r", 0o644, 0, 0))
	must[int](t)(e.WriteAt(ino, want, 0))
	rf := must[*File](t)(e.OpenFile(ino))
	stop := make(chan struct{})
	bad := make(chan string, 1)
	go func() {
		defer close(bad)
		buf := make([]byte, len(want))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n, err := rf.ReadAt(buf, 0); n != len(want) || !bytes.Equal(buf, want) {
				bad <- fmt.Sprintf("read %d bytes %.20q (%v)", n, buf[:n], err)
				return
			}
		}
	}()
	// Three flushes' worth of other files, whose blocks reuse the
	// flushed ones.
	for i := 0; i < 3*dataBufMax/e.BlockSize(); i++ {
		fi := must[uint32](t)(e.Create(d, fmt.Sprintf("f%d", i), 0o644, 0, 0))
		must[int](t)(e.WriteAt(fi, bytes.Repeat([]byte{'x'}, 200), 0))
	}
	close(stop)
	if msg, ok := <-bad; ok {
		t.Fatal(msg)
	}
}
