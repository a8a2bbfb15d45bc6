package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
)

// ptrace(2) for programs under kite: the requests are decoded here and
// carried out by kernel (kernel/ptrace*.go).

// Layout facts of the USER area (struct user) on amd64.
const (
	userRegsSize    = 27 * 8 // struct user_regs_struct
	userSize        = 912    // struct user
	userDebugRegOff = 848    // offsetof(struct user, u_debugreg)
	fxsaveSize      = 512    // struct user_i387_struct
	siginfoSize     = 128
	auditArchX86_64 = 0xc000003e
	// taskSizeMax is TASK_SIZE_MAX: fs_base and gs_base must be below.
	taskSizeMax = 1<<47 - 4096
	// flagMask are the rflags bits a tracer may change (FLAG_MASK).
	flagMask = 0x50dd5
)

// Requests x/sys/unix does not name for amd64.
const (
	ptraceSysemu           = 31
	ptraceSysemuSinglestep = 32
)

// regField returns the register at byte offset off of struct
// user_regs_struct.
func regField(r *arch.Registers, off uintptr) *uint64 {
	fields := [...]*uint64{
		&r.R15, &r.R14, &r.R13, &r.R12, &r.Rbp, &r.Rbx, &r.R11, &r.R10,
		&r.R9, &r.R8, &r.Rax, &r.Rcx, &r.Rdx, &r.Rsi, &r.Rdi, &r.Orig_rax,
		&r.Rip, &r.Cs, &r.Eflags, &r.Rsp, &r.Ss, &r.Fs_base, &r.Gs_base,
		&r.Ds, &r.Es, &r.Fs, &r.Gs,
	}
	return fields[off/8]
}

// Byte offsets of the registers putreg checks.
const (
	offCs     = 17 * 8
	offEflags = 18 * 8
	offSs     = 20 * 8
	offFsBase = 21 * 8
	offGsBase = 22 * 8
	offDs     = 23 * 8
	offEs     = 24 * 8
	offFs     = 25 * 8
	offGs     = 26 * 8
)

// putReg stores v in the register at off with Linux's putreg checks.
func putReg(r *arch.Registers, off uintptr, v uint64) error {
	switch off {
	case offCs, offSs, offDs, offEs, offFs, offGs:
		// invalid_selector: a non-null selector must have RPL 3; cs
		// and ss may not be null.
		sel := uint16(v)
		if sel != 0 && sel&3 != 3 {
			return unix.EIO
		}
		if (off == offCs || off == offSs) && sel == 0 {
			return unix.EIO
		}
		v = uint64(sel)
	case offEflags:
		v = r.Eflags&^flagMask | v&flagMask
	case offFsBase, offGsBase:
		if v >= taskSizeMax {
			return unix.EIO
		}
	}
	*regField(r, off) = v
	return nil
}

// encodeRegs encodes struct user_regs_struct.
func encodeRegs(r *arch.Registers) []byte {
	b := make([]byte, userRegsSize)
	for off := uintptr(0); off < userRegsSize; off += 8 {
		putU64(b, int(off), *regField(r, off))
	}
	return b
}

// setRegs applies a struct user_regs_struct (or its first len(b) bytes)
// with putreg's checks; nothing changes on error.
func setRegs(r *arch.Registers, b []byte) error {
	nr := *r
	for off := uintptr(0); off+8 <= uintptr(len(b)); off += 8 {
		if err := putReg(&nr, off, getU64(b, int(off))); err != nil {
			return err
		}
	}
	*r = nr
	return nil
}

func ptraceSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	req, pid, addr, data := int(a[0]), int32(a[1]), a[2], a[3]
	if req == unix.PTRACE_TRACEME {
		return 0, t.PtraceTraceme()
	}
	// The kernel names tasks by their global ids.
	if pid = t.GlobalPID(pid); pid <= 0 {
		return 0, unix.ESRCH
	}
	switch req {
	case unix.PTRACE_ATTACH:
		return 0, t.PtraceAttach(pid, false, 0)
	case unix.PTRACE_SEIZE:
		if addr != 0 || uint64(data)&^uint64(unix.PTRACE_O_MASK) != 0 {
			if t.Kernel().TaskByID(pid) == nil {
				return 0, unix.ESRCH
			}
			return 0, unix.EIO
		}
		return 0, t.PtraceAttach(pid, true, uint32(data))
	case unix.PTRACE_KILL:
		return 0, t.PtraceKill(pid)
	case unix.PTRACE_INTERRUPT:
		return 0, t.PtraceInterrupt(pid)
	}
	if err := t.PtraceCheck(pid, false); err != nil {
		return 0, err
	}
	switch req {
	case unix.PTRACE_CONT:
		return 0, t.PtraceResume(pid, kernel.PtraceCont, int(data))
	case unix.PTRACE_SYSCALL:
		return 0, t.PtraceResume(pid, kernel.PtraceSyscall, int(data))
	case ptraceSysemu:
		return 0, t.PtraceResume(pid, kernel.PtraceSysemu, int(data))
	case unix.PTRACE_SINGLESTEP:
		return 0, t.PtraceResume(pid, kernel.PtraceSingleStep, int(data))
	case ptraceSysemuSinglestep:
		return 0, t.PtraceResume(pid, kernel.PtraceSysemuSingleStep, int(data))
	case unix.PTRACE_LISTEN:
		return 0, t.PtraceListen(pid)
	case unix.PTRACE_DETACH:
		return 0, t.PtraceDetach(pid, int(data))
	case unix.PTRACE_SETOPTIONS:
		return 0, t.PtraceSetOptions(pid, uint32(data))
	case unix.PTRACE_GETEVENTMSG:
		msg, err := t.PtraceEventMsg(pid)
		if err != nil {
			return 0, err
		}
		return 0, copyOutU64(t, data, msg)
	case unix.PTRACE_PEEKTEXT, unix.PTRACE_PEEKDATA:
		var b [8]byte
		if err := t.PtraceMemory(pid, func(m *mm.MemoryManager) error {
			if n, _ := m.CopyInForce(addr, b[:]); n != len(b) {
				return unix.EIO
			}
			return nil
		}); err != nil {
			return 0, err
		}
		return 0, copyOutFull(t, data, b[:])
	case unix.PTRACE_POKETEXT, unix.PTRACE_POKEDATA:
		var b [8]byte
		putU64(b[:], 0, uint64(data))
		return 0, t.PtraceMemory(pid, func(m *mm.MemoryManager) error {
			if n, _ := m.CopyOutForce(addr, b[:]); n != len(b) {
				return unix.EIO
			}
			return nil
		})
	case unix.PTRACE_PEEKUSR:
		return 0, ptracePeekUser(t, pid, addr, data)
	case unix.PTRACE_POKEUSR:
		return 0, ptracePokeUser(t, pid, addr, uint64(data))
	case unix.PTRACE_GETREGS:
		var regs []byte
		if err := t.PtraceRun(pid, func(c *kernel.Task) error {
			regs = encodeRegs(c.Registers())
			return nil
		}); err != nil {
			return 0, err
		}
		return 0, copyOutFull(t, data, regs)
	case unix.PTRACE_SETREGS:
		b := make([]byte, userRegsSize)
		if err := copyInFull(t, data, b); err != nil {
			return 0, err
		}
		return 0, t.PtraceRun(pid, func(c *kernel.Task) error { return setRegs(c.Registers(), b) })
	case unix.PTRACE_GETFPREGS:
		fp, err := ptraceFP(t, pid)
		if err != nil {
			return 0, err
		}
		return 0, copyOutFull(t, data, fp[:fxsaveSize])
	case unix.PTRACE_SETFPREGS:
		b := make([]byte, fxsaveSize)
		if err := copyInFull(t, data, b); err != nil {
			return 0, err
		}
		return 0, ptraceSetFX(t, pid, b)
	case unix.PTRACE_GETREGSET:
		return 0, ptraceGetRegset(t, pid, int(addr), data)
	case unix.PTRACE_SETREGSET:
		return 0, ptraceSetRegset(t, pid, int(addr), data)
	case unix.PTRACE_GETSIGINFO:
		var info *arch.SignalInfo
		err := t.PtraceRun(pid, func(c *kernel.Task) error {
			if info = c.PtraceSigInfo(); info == nil {
				return unix.EINVAL
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		return 0, copyOutFull(t, data, info.Bytes())
	case unix.PTRACE_SETSIGINFO:
		b := make([]byte, siginfoSize)
		if err := copyInFull(t, data, b); err != nil {
			return 0, err
		}
		info, err := arch.SignalInfoFromUser(b)
		if err != nil {
			return 0, err
		}
		return 0, t.PtraceRun(pid, func(c *kernel.Task) error {
			if !c.PtraceSetSigInfo(&info) {
				return unix.EINVAL
			}
			return nil
		})
	case unix.PTRACE_PEEKSIGINFO:
		return ptracePeekSiginfo(t, pid, addr, data)
	case unix.PTRACE_GETSIGMASK, unix.PTRACE_SETSIGMASK:
		if addr != 8 {
			return 0, unix.EINVAL
		}
		if req == unix.PTRACE_GETSIGMASK {
			var mask uint64
			if err := t.PtraceRun(pid, func(c *kernel.Task) error { mask = uint64(c.SignalMask()); return nil }); err != nil {
				return 0, err
			}
			return 0, copyOutU64(t, data, mask)
		}
		mask, err := copyInU64(t, data)
		if err != nil {
			return 0, err
		}
		return 0, t.PtraceRun(pid, func(c *kernel.Task) error {
			c.SetSignalMask(linux.SignalSet(mask))
			return nil
		})
	case unix.PTRACE_GET_SYSCALL_INFO:
		return ptraceGetSyscallInfo(t, pid, addr, data)
	case unix.PTRACE_ARCH_PRCTL:
		return 0, ptraceArchPrctl(t, pid, addr, data)
	case unix.PTRACE_GET_RSEQ_CONFIGURATION:
		return ptraceGetRseqConfiguration(t, pid, addr, data)
	}
	return 0, unix.EIO
}

// ptraceArchPrctl is arch_prctl(code data, addr) done on the tracee's
// registers: ARCH_SET_FS/GS take the base in addr, ARCH_GET_FS/GS store it
// at addr in the tracer's memory; other codes are EINVAL, as Linux's
// do_arch_prctl_64 for another task.
func ptraceArchPrctl(t *kernel.Task, pid int32, addr, code uintptr) error {
	var v uint64
	err := t.PtraceRun(pid, func(c *kernel.Task) error {
		r := c.Registers()
		switch code {
		case archSetFS, archSetGS:
			if addr >= taskSizeMax {
				return unix.EPERM
			}
			if code == archSetFS {
				r.Fs_base = uint64(addr)
			} else {
				r.Gs_base = uint64(addr)
			}
		case archGetFS:
			v = r.Fs_base
		case archGetGS:
			v = r.Gs_base
		default:
			return unix.EINVAL
		}
		return nil
	})
	if err != nil || (code != archGetFS && code != archGetGS) {
		return err
	}
	return copyOutU64(t, addr, v)
}

// ptracePeekUser reads a word of the USER area: a register, a debug
// register (none is ever set: kite has no hardware breakpoints) or 0.
func ptracePeekUser(t *kernel.Task, pid int32, addr, data uintptr) error {
	if addr&7 != 0 || addr >= userSize {
		return unix.EIO
	}
	var v uint64
	if addr < userRegsSize {
		if err := t.PtraceRun(pid, func(c *kernel.Task) error {
			v = *regField(c.Registers(), addr)
			return nil
		}); err != nil {
			return err
		}
	} else if addr >= userDebugRegOff {
		err := t.PtraceRun(pid, func(c *kernel.Task) error {
			v = c.PtraceDebugReg(int(addr-userDebugRegOff) / 8)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return copyOutU64(t, data, v)
}

// ptracePokeUser writes a word of the USER area: a register with putreg's
// checks, or a debug register. Debug registers hold addresses but kite
// cannot arm hardware breakpoints: enabling one in DR7 is refused with
// EINVAL (documented in the table).
func ptracePokeUser(t *kernel.Task, pid int32, addr uintptr, v uint64) error {
	if addr&7 != 0 || addr >= userSize {
		return unix.EIO
	}
	if addr < userRegsSize {
		return t.PtraceRun(pid, func(c *kernel.Task) error { return putReg(c.Registers(), addr, v) })
	}
	if addr < userDebugRegOff {
		return unix.EIO
	}
	n := int(addr-userDebugRegOff) / 8
	switch {
	case n == 4 || n == 5:
		return unix.EIO
	case n < 4 && v >= taskSizeMax:
		return unix.EINVAL
	case n == 7 && v&0xff != 0:
		return unix.EINVAL
	}
	return t.PtraceRun(pid, func(c *kernel.Task) error {
		c.PtraceSetDebugReg(n, v)
		return nil
	})
}

// ptraceFP returns tracee pid's FP state (an XSAVE area).
func ptraceFP(t *kernel.Task, pid int32) (arch.FPState, error) {
	var fp arch.FPState
	err := t.PtraceRunOnTracee(pid, func(c *kernel.Task) error {
		var err error
		fp, err = c.PtraceFPState()
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(fp) < fxsaveSize+64 {
		return nil, unix.EIO
	}
	return fp, nil
}

// ptraceSetFX replaces the FXSAVE part of tracee pid's FP state, marking
// x87 and SSE state present in the XSAVE header, as Linux's xfpregs_set.
func ptraceSetFX(t *kernel.Task, pid int32, b []byte) error {
	if getU32(b, 24)&^0xffff != 0 {
		// Reserved MXCSR bits.
		return unix.EINVAL
	}
	return t.PtraceRunOnTracee(pid, func(c *kernel.Task) error {
		fp, err := c.PtraceFPState()
		if err != nil {
			return err
		}
		if len(fp) < fxsaveSize+64 {
			return unix.EIO
		}
		fp = fp.Clone()
		copy(fp[:464], b[:464])
		putU64(fp, fxsaveSize, getU64(fp, fxsaveSize)|3)
		return c.PtraceSetFPState(fp)
	})
}

// Register-set note types.
const (
	ntPrstatus  = 1
	ntPrfpreg   = 2
	ntX86Xstate = 0x202
)

// copyInIovec reads one struct iovec.
func copyInIovec(t *kernel.Task, addr uintptr) (base, length uint64, err error) {
	var b [16]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, 0, err
	}
	return getU64(b[:], 0), getU64(b[:], 8), nil
}

// regset returns the current contents of register set nt of tracee pid.
func regset(t *kernel.Task, pid int32, nt int) ([]byte, error) {
	switch nt {
	case ntPrstatus:
		var regs []byte
		err := t.PtraceRun(pid, func(c *kernel.Task) error {
			regs = encodeRegs(c.Registers())
			return nil
		})
		return regs, err
	case ntPrfpreg:
		fp, err := ptraceFP(t, pid)
		if err != nil {
			return nil, err
		}
		return fp[:fxsaveSize], nil
	case ntX86Xstate:
		fp, err := ptraceFP(t, pid)
		return fp, err
	}
	return nil, unix.EINVAL
}

func ptraceGetRegset(t *kernel.Task, pid int32, nt int, iovAddr uintptr) error {
	base, length, err := copyInIovec(t, iovAddr)
	if err != nil {
		return err
	}
	if length%8 != 0 {
		return unix.EINVAL
	}
	set, err := regset(t, pid, nt)
	if err != nil {
		return err
	}
	n := min(uint64(len(set)), length)
	if err := copyOutFull(t, uintptr(base), set[:n]); err != nil {
		return err
	}
	return copyOutU64(t, iovAddr+8, n)
}

func ptraceSetRegset(t *kernel.Task, pid int32, nt int, iovAddr uintptr) error {
	base, length, err := copyInIovec(t, iovAddr)
	if err != nil {
		return err
	}
	if length%8 != 0 {
		return unix.EINVAL
	}
	set, err := regset(t, pid, nt)
	if err != nil {
		return err
	}
	n := min(uint64(len(set)), length)
	b := make([]byte, n)
	if err := copyInFull(t, uintptr(base), b); err != nil {
		return err
	}
	switch nt {
	case ntPrstatus:
		err = t.PtraceRun(pid, func(c *kernel.Task) error { return setRegs(c.Registers(), b) })
	case ntPrfpreg:
		if n != fxsaveSize {
			return unix.EINVAL
		}
		err = ptraceSetFX(t, pid, b)
	case ntX86Xstate:
		if n != uint64(len(set)) {
			// A whole XSAVE buffer is needed, as on Linux.
			return unix.EFAULT
		}
		err = t.PtraceRunOnTracee(pid, func(c *kernel.Task) error { return c.PtraceSetFPState(arch.FPState(b)) })
	}
	if err != nil {
		return err
	}
	return copyOutU64(t, iovAddr+8, n)
}

// ptracePeekSiginfo copies pending signals' siginfo (struct
// ptrace_peeksiginfo_args at addr) to data and returns how many.
func ptracePeekSiginfo(t *kernel.Task, pid int32, addr, data uintptr) (uintptr, error) {
	var b [16]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, err
	}
	off, flags, nr := getU64(b[:], 0), getU32(b[:], 8), int32(getU32(b[:], 12))
	if flags&^unix.PTRACE_PEEKSIGINFO_SHARED != 0 || nr < 0 {
		return 0, unix.EINVAL
	}
	var infos []arch.SignalInfo
	if err := t.PtraceRun(pid, func(c *kernel.Task) error {
		infos = c.PendingSignalInfos(flags&unix.PTRACE_PEEKSIGINFO_SHARED != 0)
		return nil
	}); err != nil {
		return 0, err
	}
	n := 0
	for i := off; i < uint64(len(infos)) && n < int(nr); i++ {
		if err := copyOutFull(t, data+uintptr(n)*siginfoSize, infos[i].Bytes()); err != nil {
			if n > 0 {
				break
			}
			return 0, err
		}
		n++
	}
	return uintptr(n), nil
}

// ptraceGetSyscallInfo writes struct ptrace_syscall_info (at most size
// bytes) and returns its full size.
func ptraceGetSyscallInfo(t *kernel.Task, pid int32, size, data uintptr) (uintptr, error) {
	b := make([]byte, 88)
	actual := 24
	err := t.PtraceRun(pid, func(c *kernel.Task) error {
		r := c.Registers()
		putU32(b, 4, auditArchX86_64)
		putU64(b, 8, r.Rip)
		putU64(b, 16, r.Rsp)
		op, seccompData := c.PtraceSyscallStop()
		nr, args := arch.Syscall(r)
		switch op {
		case 1, 3:
			putU64(b, 24, uint64(nr))
			for i, v := range args {
				putU64(b, 32+8*i, uint64(v))
			}
			actual = 80
			if op == 3 {
				putU32(b, 80, seccompData)
				actual = 84
			}
		case 2:
			rv := int64(r.Rax)
			if rv < 0 && rv >= -4095 {
				b[32] = 1
			}
			putU64(b, 24, uint64(rv))
			actual = 33
		default:
			op = 0
		}
		b[0] = op
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := min(uintptr(actual), size)
	if err := copyOutFull(t, data, b[:n]); err != nil {
		return 0, err
	}
	return uintptr(actual), nil
}
