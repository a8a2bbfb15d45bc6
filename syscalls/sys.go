package syscalls

import (
	"crypto/rand"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// The identity kite gives as a kernel.
const (
	utsSysname = "Linux"
	utsMachine = "x86_64"
)

func uname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	const field = 65
	b := make([]byte, 6*field)
	version := t.Kernel().UTSVersion()
	host, domain := t.Namespaces().UTS.Names()
	machine := utsMachine
	if t.Personality()&kernel.PerMask == kernel.PerLinux32 {
		machine = "i686" // Linux's override_architecture
	}
	for i, s := range []string{utsSysname, host, kernel.UTSRelease, version, machine, domain} {
		copy(b[i*field:(i+1)*field-1], s)
	}
	return 0, copyOutFull(t, a[0], b)
}

func sysinfo(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	k := t.Kernel()
	total, free := k.MemoryInfo()
	// Free is what the memory file does not use, as /proc/meminfo's
	// MemFree; shared memory is its tmpfs and shm pages.
	mf := k.MemoryFile()
	if used := mf.FramesInUse() * 4096; used < free {
		free -= used
	} else {
		free = 0
	}
	_, shmem := mf.PageCacheUsage()
	b := make([]byte, 112)
	putU64(b, 0, uint64(time.Since(k.BootTime())/time.Second))
	// loads[3]: fixed point with SI_LOAD_SHIFT (16) fraction bits.
	for i, l := range k.LoadAverage(16) {
		putU64(b, 8+8*i, l)
	}
	putU64(b, 32, total)
	putU64(b, 40, free)
	putU64(b, 48, shmem)
	// bufferram, totalswap, freeswap stay 0.
	putU16(b, 80, uint16(min(k.NumTasks(), 0xffff)))
	// totalhigh, freehigh stay 0.
	putU32(b, 104, 1) // mem_unit
	return 0, copyOutFull(t, a[0], b)
}

// getrandom flags.
const (
	grndNonblock = 1
	grndRandom   = 2
	grndInsecure = 4
)

// maxRandomRead is the most getrandom returns in one call (Linux caps
// reads at MAX_RW_COUNT; kite at 32 MiB - 1, like /dev/urandom's chunking
// makes no difference to callers that loop).
const maxRandomRead = 1<<25 - 1

func getrandom(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, n, flags := a[0], a[1], int(a[2])
	if flags&^(grndNonblock|grndRandom|grndInsecure) != 0 || flags&(grndRandom|grndInsecure) == grndRandom|grndInsecure {
		return 0, unix.EINVAL
	}
	n = min(n, maxRandomRead)
	buf := make([]byte, min(n, 4096))
	done := uintptr(0)
	for done < n {
		chunk := buf[:min(n-done, uintptr(len(buf)))]
		rand.Read(chunk)
		c, err := t.CopyOut(addr+done, chunk)
		done += uintptr(c)
		if err != nil {
			if done == 0 {
				return 0, unix.EFAULT
			}
			break
		}
		if t.Interrupted() {
			break
		}
	}
	return done, nil
}
