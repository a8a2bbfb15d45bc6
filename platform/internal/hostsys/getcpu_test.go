package hostsys

import (
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestFastGetcpu checks the segment-limit CPU against the getcpu system
// call on every CPU the test may run on.
func TestFastGetcpu(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var orig unix.CPUSet
	if err := unix.SchedGetaffinity(0, &orig); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &orig)
	if _, ok := lslCPU(); !ok {
		t.Skip("no per-CPU segment: Getcpu uses the system call")
	}
	tried := 0
	for cpu := 0; cpu < 1024 && tried < orig.Count(); cpu++ {
		if !orig.IsSet(cpu) {
			continue
		}
		tried++
		if err := PinThread(0, cpu); err != nil {
			t.Fatal(err)
		}
		for range 100 {
			var sys uint32
			unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&sys)), 0, 0)
			got, _ := lslCPU()
			if got != sys || int(sys) != cpu {
				t.Fatalf("pinned to CPU %d: segment limit says %d, getcpu %d", cpu, got, sys)
			}
			if Getcpu() != cpu {
				t.Fatalf("pinned to CPU %d: Getcpu says %d", cpu, Getcpu())
			}
		}
	}
}
