package dev

import (
	"crypto/rand"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Device numbers of the devices this package drives.
const (
	MemMajor     = 1
	NullMinor    = 3
	ZeroMinor    = 5
	FullMinor    = 7
	RandomMinor  = 8
	URandomMinor = 9
	// KmsgMinor is /dev/kmsg's; its driver is the kernel's (the kernel
	// log).
	KmsgMinor = 11

	TTYAuxMajor  = 5
	TTYMinor     = 0
	ConsoleMinor = 1
	PtmxMinor    = 2
)

// RegisterDevices installs the drivers of the memory devices in v. The
// terminals (tty 5:0, console 5:1, ptmx 5:2 and the pseudo-terminal
// slaves) are the tty package's (tty.RegisterDevices).
func RegisterDevices(v *vfs.VirtualFilesystem) {
	mem := map[int]func() vfs.FileOperations{
		NullMinor:    func() vfs.FileOperations { return nullFile{} },
		ZeroMinor:    func() vfs.FileOperations { return zeroFile{} },
		FullMinor:    func() vfs.FileOperations { return fullFile{} },
		RandomMinor:  func() vfs.FileOperations { return randomFile{} },
		URandomMinor: func() vfs.FileOperations { return randomFile{} },
	}
	for minor, mk := range mem {
		mk := mk
		v.RegisterDevice(unix.S_IFCHR, MemMajor, minor, func(vfs.Context, uint64, int) (vfs.FileOperations, error) {
			return mk(), nil
		})
	}
}

// memSeek is lseek on null, zero and full: Linux leaves the offset at 0
// and reports 0, whatever is asked.
func memSeek() (int64, error) { return 0, nil }

// nullFile is /dev/null: reads see end of file, writes vanish.
type nullFile struct{ vfs.FileDefaults }

func (nullFile) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) { return 0, nil }

func (nullFile) Write(_ vfs.Context, _ *vfs.File, src []byte, _ int64) (int, error) {
	return len(src), nil
}

func (nullFile) Seek(vfs.Context, *vfs.File, int64, int64, int) (int64, error) { return memSeek() }

// DiscardWrite implements vfs.WriteDiscarder: writes never read the
// buffer, as Linux's write_null.
func (nullFile) DiscardWrite() error { return nil }

// zeroFile is /dev/zero: reads fill with zeros, writes vanish.
type zeroFile struct{ vfs.FileDefaults }

// InPlaceIO implements vfs.InPlaceIO: reads fill the program's pages.
func (zeroFile) InPlaceIO() {}

func (zeroFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, _ int64) (int, error) {
	clear(dst)
	return len(dst), nil
}

func (zeroFile) Write(_ vfs.Context, _ *vfs.File, src []byte, _ int64) (int, error) {
	return len(src), nil
}

func (zeroFile) Seek(vfs.Context, *vfs.File, int64, int64, int) (int64, error) { return memSeek() }

// DiscardWrite implements vfs.WriteDiscarder: writes never read the
// buffer, as Linux's write_null.
func (zeroFile) DiscardWrite() error { return nil }

// fullFile is /dev/full: reads fill with zeros, writes fail with ENOSPC.
type fullFile struct{ vfs.FileDefaults }

// InPlaceIO implements vfs.InPlaceIO: reads fill the program's pages.
func (fullFile) InPlaceIO() {}

func (fullFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, _ int64) (int, error) {
	clear(dst)
	return len(dst), nil
}

func (fullFile) Write(_ vfs.Context, _ *vfs.File, src []byte, _ int64) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	return 0, unix.ENOSPC
}

func (fullFile) Seek(vfs.Context, *vfs.File, int64, int64, int) (int64, error) { return memSeek() }

// DiscardWrite implements vfs.WriteDiscarder: ENOSPC without reading the
// buffer, as Linux's write_full (a bad buffer is no EFAULT).
func (fullFile) DiscardWrite() error { return unix.ENOSPC }

// randomFile is /dev/random and /dev/urandom: reads come from the host's
// cryptographic random source (crypto/rand), which never blocks once the
// host is initialized, as Linux's random has behaved since 5.6; writes
// are accepted and dropped (Linux mixes them into its pool without
// crediting entropy, so nothing observable is lost).
type randomFile struct{ vfs.FileDefaults }

// InPlaceIO implements vfs.InPlaceIO: reads fill the program's pages.
func (randomFile) InPlaceIO() {}

func (randomFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, _ int64) (int, error) {
	if _, err := rand.Read(dst); err != nil {
		return 0, unix.EIO
	}
	return len(dst), nil
}

func (randomFile) Write(_ vfs.Context, _ *vfs.File, src []byte, _ int64) (int, error) {
	return len(src), nil
}

// Seek keeps the offset where it is, as Linux's noop_llseek.
func (randomFile) Seek(_ vfs.Context, _ *vfs.File, cur, _ int64, _ int) (int64, error) {
	return cur, nil
}

// NowaitIO implements vfs.NowaitIO: /dev/null, /dev/zero and the random
// devices never wait (RWF_NOWAIT is taken); /dev/full is not so marked,
// as on Linux.
func (nullFile) NowaitIO(bool) bool { return true }

// NowaitIO implements vfs.NowaitIO.
func (zeroFile) NowaitIO(bool) bool { return true }

// NowaitIO implements vfs.NowaitIO.
func (randomFile) NowaitIO(bool) bool { return true }
