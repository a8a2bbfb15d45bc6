package ext4

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// BenchmarkCreateWrite creates files of 4 KiB in one directory.
func BenchmarkCreateWrite(b *testing.B) {
	img := filepath.Join(b.TempDir(), "img")
	run(b, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-N", "200000", img, "1G")
	f, err := openFileRW(img)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	e, err := OpenRW(f, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 4096)
	d, _ := e.Mkdir(RootIno, "d", 0o755, 0, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ino, err := e.Create(d, fmt.Sprintf("file-%07d", i), 0o644, 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.WriteAt(ino, data, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func openFileRW(p string) (*os.File, error) { return os.OpenFile(p, os.O_RDWR, 0) }

// BenchmarkLookupStat looks files up in a large htree directory.
func BenchmarkLookupStat(b *testing.B) {
	src := filepath.Join(b.TempDir(), "src")
	for i := 0; i < 2000; i++ {
		writeFile(b, filepath.Join(src, "d", fmt.Sprintf("file-%05d", i)), []byte("x"))
	}
	img := filepath.Join(b.TempDir(), "img")
	run(b, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-d", src, img, "64M")
	f, err := os.Open(img)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	e, err := Open(f, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ino, err := e.Walk(fmt.Sprintf("/d/file-%05d", i%2000), true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Stat(ino); err != nil {
			b.Fatal(err)
		}
	}
}

// sliceBuf is a vfs.UserBuffer over a byte slice: the program's buffer
// of a write(2), pinned in place as the kernel's Task pins it.
type sliceBuf []byte

func (s sliceBuf) Pin(at, n int64, _ bool) ([][]byte, func(), error) {
	return [][]byte{s[at : at+n]}, func() {}, nil
}
func (s sliceBuf) CopyOut(at int64, b []byte) (int, error) { return copy(s[at:], b), nil }
func (s sliceBuf) CopyIn(at int64, b []byte) (int, error)  { return copy(b, s[at:]), nil }

// BenchmarkCreateVFS is one file of bench's Create10kFiles per op,
// through the calls its system calls make (openat with O_CREAT|O_EXCL of
// an absolute name, a 100-byte write(2) from the program's pinned
// buffer, close), on a file system mounted as `kite run --rw-root`
// mounts its image: kite's own cost per file without the platform's.
// Run it with -benchtime 10000x for bench's directory size; the fsync of
// the directory at the end is timed too.
func BenchmarkCreateVFS(b *testing.B) {
	img := filepath.Join(b.TempDir(), "img")
	run(b, "mke2fs", "-q", "-F", "-t", "ext4", img, "3G")
	// A program's credentials, made once as a task's are.
	ctx := vfs.KernelContext{Creds: auth.New(0, 0, nil)}
	v := vfs.New()
	fs, err := OpenImage(v, img, true)
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	ns, err := v.NewMountNamespace(ctx, fs, 0)
	if err != nil {
		b.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	if err := v.MkdirAt(ctx, fsc, fsc.Cwd(), "/many", 0o755); err != nil {
		b.Fatal(err)
	}
	fdt := vfs.NewFDTable()
	data := sliceBuf(bytes.Repeat([]byte{'k'}, 100))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f, err := v.OpenAt(ctx, fsc, fsc.Cwd(), fmt.Sprintf("/many/f%d", i), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		fd, err := fdt.NewFD(0, f, 0)
		f.DecRef(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := f.WriteFromUser(ctx, 100, -1, data); n != 100 || err != nil {
			b.Fatal(n, err)
		}
		if err := fdt.Remove(ctx, fd); err != nil {
			b.Fatal(err)
		}
	}
	d, err := v.OpenAt(ctx, fsc, fsc.Cwd(), "/many", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Sync(ctx, false); err != nil {
		b.Fatal(err)
	}
	d.DecRef(ctx)
	// The process's CPU time (all threads: the collector's too) per
	// file, steadier than the wall time on a loaded machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
