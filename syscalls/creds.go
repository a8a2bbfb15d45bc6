package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/kernel"
)

// credNote is the limit every set*id call shares.
const credNote = "privilege is CAP_SETUID/CAP_SETGID over the caller's user namespace; ids are translated through it"

func setuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetID(kernel.UserIDs, uint32(a[0]))
}

func setgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetID(kernel.GroupIDs, uint32(a[0]))
}

func setreuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetREID(kernel.UserIDs, uint32(a[0]), uint32(a[1]))
}

func setregid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetREID(kernel.GroupIDs, uint32(a[0]), uint32(a[1]))
}

func setresuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetRESID(kernel.UserIDs, uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

func setresgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetRESID(kernel.GroupIDs, uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

func setfsuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetFSID(kernel.UserIDs, uint32(a[0]))), nil
}

func setfsgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetFSID(kernel.GroupIDs, uint32(a[0]))), nil
}

func setgroups(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	n := int(int32(a[0]))
	if n < 0 || n > ngroupsMax {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*n)
	if err := copyInFull(t, a[1], b); err != nil {
		return 0, err
	}
	groups := make([]uint32, n)
	for i := range groups {
		groups[i] = getU32(b, 4*i)
	}
	return 0, t.SetGroups(groups)
}

// Capability header versions (linux/capability.h).
const (
	capVersion1 = 0x19980330
	capVersion2 = 0x20071026
	capVersion3 = 0x20080522
)

// capHeader reads a capget/capset header and returns the number of 32-bit
// words per set its version carries. An unknown version is EINVAL after
// writing the preferred version back, as Linux's cap_validate_magic.
func capHeader(t *kernel.Task, addr uintptr) (words int, pid int32, err error) {
	var b [8]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, 0, err
	}
	switch getU32(b[:], 0) {
	case capVersion1:
		words = 1
	case capVersion2, capVersion3:
		words = 2
	default:
		if err := copyOutU32(t, addr, capVersion3); err != nil {
			return 0, 0, err
		}
		return 0, 0, unix.EINVAL
	}
	return words, int32(getU32(b[:], 4)), nil
}

func capget(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	words, pid, err := capHeader(t, a[0])
	if a[1] == 0 {
		// A NULL data pointer asks only for the version.
		if err == unix.EINVAL {
			return 0, nil
		}
		return 0, err
	}
	if err != nil {
		return 0, err
	}
	if pid < 0 {
		return 0, unix.EINVAL
	}
	target := t
	if pid != 0 && pid != t.TID() {
		if target = t.TaskByPID(pid); target == nil {
			return 0, unix.ESRCH
		}
	}
	c := target.Credentials()
	b := make([]byte, 12*words)
	for i := 0; i < words; i++ {
		sh := uint(32 * i)
		putU32(b, 12*i, uint32(c.EffectiveCaps>>sh))
		putU32(b, 12*i+4, uint32(c.PermittedCaps>>sh))
		putU32(b, 12*i+8, uint32(c.InheritableCaps>>sh))
	}
	return 0, copyOutFull(t, a[1], b)
}

func capset(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	words, pid, err := capHeader(t, a[0])
	if err != nil {
		return 0, err
	}
	if pid != 0 && pid != t.TID() {
		return 0, unix.EPERM
	}
	b := make([]byte, 12*words)
	if err := copyInFull(t, a[1], b); err != nil {
		return 0, err
	}
	var eff, prm, inh auth.CapabilitySet
	for i := 0; i < words; i++ {
		sh := uint(32 * i)
		eff |= auth.CapabilitySet(getU32(b, 12*i)) << sh
		prm |= auth.CapabilitySet(getU32(b, 12*i+4)) << sh
		inh |= auth.CapabilitySet(getU32(b, 12*i+8)) << sh
	}
	all := auth.AllCapabilities
	return 0, t.ChangeCredentials(func(c *auth.Credentials) error {
		return c.SetCaps(eff&all, prm&all, inh&all)
	})
}

// capPrctl carries out the capability options of prctl(2); ok is false
// for other options.
func capPrctl(t *kernel.Task, a arch.SyscallArgs) (r uintptr, err error, ok bool) {
	c := t.Credentials()
	switch int(a[0]) {
	case unix.PR_CAPBSET_READ:
		if !auth.ValidCap(int(a[1])) {
			return 0, unix.EINVAL, true
		}
		return boolResult(c.BoundingCaps.Has(int(a[1]))), nil, true
	case unix.PR_CAPBSET_DROP:
		// Linux asks for CAP_SETPCAP before it looks at the
		// capability.
		cap := int(a[1])
		return 0, t.ChangeCredentials(func(c *auth.Credentials) error {
			if !c.HasCapability(unix.CAP_SETPCAP) {
				return unix.EPERM
			}
			if !auth.ValidCap(cap) {
				return unix.EINVAL
			}
			c.BoundingCaps &^= auth.CapabilitySetOf(cap)
			return nil
		}), true
	case unix.PR_GET_KEEPCAPS:
		return boolResult(c.SecureBits&auth.SecKeepCaps != 0), nil, true
	case unix.PR_SET_KEEPCAPS:
		if a[1] > 1 {
			return 0, unix.EINVAL, true
		}
		return 0, t.ChangeCredentials(func(c *auth.Credentials) error {
			if c.SecureBits&auth.SecKeepCapsLocked != 0 {
				return unix.EPERM
			}
			c.SecureBits &^= auth.SecKeepCaps
			if a[1] == 1 {
				c.SecureBits |= auth.SecKeepCaps
			}
			return nil
		}), true
	case unix.PR_GET_SECUREBITS:
		return uintptr(c.SecureBits), nil, true
	case unix.PR_SET_SECUREBITS:
		return 0, t.ChangeCredentials(func(c *auth.Credentials) error {
			return c.SetSecureBits(uint32(a[1]))
		}), true
	case unix.PR_CAP_AMBIENT:
		r, err := ambientPrctl(t, a)
		return r, err, true
	}
	return 0, nil, false
}

// ambientPrctl is prctl(PR_CAP_AMBIENT, ...).
func ambientPrctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	op, cap := int(a[1]), int(a[2])
	if op == unix.PR_CAP_AMBIENT_CLEAR_ALL {
		if a[2]|a[3]|a[4] != 0 {
			return 0, unix.EINVAL
		}
		return 0, t.ChangeCredentials(func(c *auth.Credentials) error {
			c.AmbientCaps = 0
			return nil
		})
	}
	if !auth.ValidCap(cap) || a[3]|a[4] != 0 {
		return 0, unix.EINVAL
	}
	switch op {
	case unix.PR_CAP_AMBIENT_IS_SET:
		return boolResult(t.Credentials().AmbientCaps.Has(cap)), nil
	case unix.PR_CAP_AMBIENT_RAISE:
		return 0, t.ChangeCredentials(func(c *auth.Credentials) error {
			if !c.PermittedCaps.Has(cap) || !c.InheritableCaps.Has(cap) || c.SecureBits&auth.SecNoCapAmbientRaise != 0 {
				return unix.EPERM
			}
			c.AmbientCaps |= auth.CapabilitySetOf(cap)
			return nil
		})
	case unix.PR_CAP_AMBIENT_LOWER:
		return 0, t.ChangeCredentials(func(c *auth.Credentials) error {
			c.AmbientCaps &^= auth.CapabilitySetOf(cap)
			return nil
		})
	}
	return 0, unix.EINVAL
}

func boolResult(b bool) uintptr {
	if b {
		return 1
	}
	return 0
}
