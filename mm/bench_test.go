package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkFault measures faulting in fresh anonymous memory, 16 pages per
// fault (the platform's own cost excluded).
func BenchmarkFault(b *testing.B) {
	mf, err := NewMemoryFileSize(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	defer mf.Release()
	m, err := NewMemoryManager(mf, &fakePlatform{max: testMaxAddr})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Release()
	const size = 4096 * pageSize
	addr, err := m.MMap(anon(size, rw))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := uintptr(i%(size/(16*pageSize))) * 16 * pageSize
		if off == 0 && i > 0 {
			b.StopTimer()
			m.MAdvise(addr, size, unix.MADV_DONTNEED)
			b.StartTimer()
		}
		if err := m.HandleFault(addr+off, int32(unix.SIGSEGV), SEGV_MAPERR); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCopyOut measures kernel writes of 4 KiB into resident memory.
func BenchmarkCopyOut(b *testing.B) {
	mf, err := NewMemoryFileSize(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	defer mf.Release()
	m, err := NewMemoryManager(mf, &fakePlatform{max: testMaxAddr})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Release()
	addr, err := m.MMap(anon(64*pageSize, rw))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, pageSize)
	b.SetBytes(pageSize)
	for i := 0; i < b.N; i++ {
		if _, err := m.CopyOut(addr+uintptr(i%63)*pageSize+8, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFork measures forking an address space with 64 MiB of resident
// private memory and releasing the child.
func BenchmarkFork(b *testing.B) {
	mf, err := NewMemoryFileSize(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	defer mf.Release()
	m, err := NewMemoryManager(mf, &fakePlatform{max: testMaxAddr})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Release()
	o := anon(64<<20, rw)
	o.Flags |= unix.MAP_POPULATE
	if _, err := m.MMap(o); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := m.Fork()
		if err != nil {
			b.Fatal(err)
		}
		c.Release()
	}
}

// BenchmarkSharedRewrite writes a shared memory object of 8 MiB in 1 MiB
// pieces, reads it back, and truncates it to nothing, as a program that
// keeps rewriting a temporary file does: the frames come back from the
// memory file's dirty pool, zeroed (and so touched) through kite's
// mapping. One iteration writes and reads 8 MiB.
func BenchmarkSharedRewrite(b *testing.B) {
	mf, err := NewMemoryFileSize(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	defer mf.Release()
	o := NewSharedMemory(mf, 0)
	defer o.DecRef()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	b.SetBytes(16 << 20)
	for i := 0; i < b.N; i++ {
		for off := uint64(0); off < 8<<20; off += 1 << 20 {
			if _, err := o.WriteAt(buf, off); err != nil {
				b.Fatal(err)
			}
		}
		for off := uint64(0); off < 8<<20; off += 1 << 20 {
			o.ReadAt(buf, off)
		}
		o.SetSize(0)
	}
}

// BenchmarkPinRead reads a 64 MiB shared memory object (a tmpfs file)
// in 1 MiB pieces into a program buffer as read(2) does: pin the
// buffer's frames, copy into their views, unpin. The object's frames are
// cold in kite's mapping (written with pwrite), so the copy is the
// host's preadv; BenchmarkPin is the same without the copy.
func BenchmarkPinRead(b *testing.B) { benchPinRead(b, true) }

// BenchmarkPin pins and unpins a 1 MiB program buffer for writing.
func BenchmarkPin(b *testing.B) { benchPinRead(b, false) }

func benchPinRead(b *testing.B, copyData bool) {
	mf, err := NewMemoryFileSize(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	defer mf.Release()
	m, err := NewMemoryManager(mf, &fakePlatform{max: testMaxAddr})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Release()
	const bufSize, fileSize = 1 << 20, 64 << 20
	o := anon(bufSize, rw)
	o.Flags |= unix.MAP_POPULATE
	addr, err := m.MMap(o)
	if err != nil {
		b.Fatal(err)
	}
	file := NewSharedMemory(mf, 0)
	defer file.DecRef()
	buf := make([]byte, bufSize)
	for off := uint64(0); off < fileSize; off += bufSize {
		if _, err := file.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(bufSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		views, unpin, err := m.Pin(addr, bufSize, true)
		if err != nil {
			b.Fatal(err)
		}
		if copyData {
			file.ReadAtv(views, uint64(i%(fileSize/bufSize))*bufSize)
		}
		unpin()
	}
}
