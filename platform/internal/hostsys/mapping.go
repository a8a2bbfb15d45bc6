package hostsys

import "golang.org/x/sys/unix"

// Injector runs a system call in a stub process.
type Injector func(nr uintptr, args ...uintptr) (uintptr, error)

// checkRange validates an application range: page-aligned, non-empty and
// below limit.
func checkRange(limit, addr, length uintptr) error {
	if addr%PageSize != 0 || length%PageSize != 0 || length == 0 {
		return unix.EINVAL
	}
	if addr+length < addr || addr+length > limit {
		return unix.EINVAL
	}
	return nil
}

// MapFile is platform.AddressSpace.MapFile for a stub that holds the
// memory file as its fd 0 and runs system calls through inject; the
// application's addresses end at limit.
func MapFile(inject Injector, limit, addr uintptr, off uint64, length uintptr, prot int) error {
	if err := checkRange(limit, addr, length); err != nil {
		return err
	}
	if off%PageSize != 0 {
		return unix.EINVAL
	}
	prot &= unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC
	got, err := inject(unix.SYS_MMAP, addr, length, uintptr(prot),
		unix.MAP_SHARED|unix.MAP_FIXED, 0 /* the memory file */, uintptr(off))
	if err != nil {
		return err
	}
	if got != addr {
		return unix.EINVAL
	}
	return nil
}

// Unmap is platform.AddressSpace.Unmap for such a stub.
func Unmap(inject Injector, limit, addr, length uintptr) error {
	if err := checkRange(limit, addr, length); err != nil {
		return err
	}
	_, err := inject(unix.SYS_MUNMAP, addr, length)
	return err
}
