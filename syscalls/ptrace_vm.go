package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
)

func processVMReadv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return processVMRW(t, a, false)
}

func processVMWritev(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return processVMRW(t, a, true)
}

// processVMRW copies between the caller's iovecs and another process's,
// with ptrace's access rule and the remote mappings' own protection. It
// returns the bytes copied up to the first remote address it could not
// reach (EFAULT if none).
func processVMRW(t *kernel.Task, a arch.SyscallArgs, write bool) (uintptr, error) {
	pid, lvec, lcnt, rvec, rcnt, flags := int32(a[0]), a[1], a[2], a[3], a[4], a[5]
	if flags != 0 {
		return 0, unix.EINVAL
	}
	local, _, err := copyInIovecs(t, lvec, lcnt)
	if err != nil {
		return 0, err
	}
	remote, _, err := copyInIovecs(t, rvec, rcnt)
	if err != nil {
		return 0, err
	}
	var total uintptr
	err = t.WithProcessMemory(pid, func(m *mm.MemoryManager) error {
		li, loff := 0, uintptr(0)
		buf := make([]byte, 64<<10)
		for _, r := range remote {
			for done := uintptr(0); done < r.len; {
				for li < len(local) && loff == local[li].len {
					li, loff = li+1, 0
				}
				if li == len(local) {
					return nil
				}
				n := min(r.len-done, local[li].len-loff, uintptr(len(buf)))
				b := buf[:n]
				var got int
				var err error
				if write {
					if _, err := t.CopyIn(local[li].base+loff, b); err != nil {
						return unix.EFAULT
					}
					got, err = m.CopyOut(r.base+done, b)
				} else {
					got, err = m.CopyIn(r.base+done, b)
					if _, err := t.CopyOut(local[li].base+loff, b[:got]); err != nil {
						return unix.EFAULT
					}
				}
				total += uintptr(got)
				done += uintptr(got)
				loff += uintptr(got)
				if err != nil {
					return unix.EFAULT
				}
			}
		}
		return nil
	})
	if total > 0 {
		return total, nil
	}
	return 0, err
}
