package oci

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/bpf"
)

// syscallNumbers maps amd64 system call names to numbers.
var syscallNumbers = func() map[string]uint32 {
	m := make(map[string]uint32, len(linux.SyscallNames))
	for nr, name := range linux.SyscallNames {
		if name != "" {
			m[name] = uint32(nr)
		}
	}
	return m
}()

// SeccompFlags are the seccomp(2) filter flags a profile asks for.
func SeccompFlags(s *Seccomp) (uint32, error) {
	var f uint32
	for _, name := range s.Flags {
		switch name {
		case "SECCOMP_FILTER_FLAG_TSYNC":
			f |= unix.SECCOMP_FILTER_FLAG_TSYNC
		case "SECCOMP_FILTER_FLAG_LOG":
			f |= unix.SECCOMP_FILTER_FLAG_LOG
		case "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
			f |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		default:
			return 0, fmt.Errorf("seccomp flag %s is not supported", name)
		}
	}
	return f, nil
}

// seccompAction is the filter return value of a profile action.
func seccompAction(action string, errnoRet *uint) (uint32, error) {
	errno := uint32(unix.EPERM)
	if errnoRet != nil {
		errno = uint32(*errnoRet)
	}
	switch action {
	case "SCMP_ACT_ALLOW":
		return unix.SECCOMP_RET_ALLOW, nil
	case "SCMP_ACT_ERRNO":
		return unix.SECCOMP_RET_ERRNO | errno&unix.SECCOMP_RET_DATA, nil
	case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD":
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case "SCMP_ACT_KILL_PROCESS":
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case "SCMP_ACT_TRAP":
		return unix.SECCOMP_RET_TRAP, nil
	case "SCMP_ACT_TRACE":
		return unix.SECCOMP_RET_TRACE | errno&unix.SECCOMP_RET_DATA, nil
	case "SCMP_ACT_LOG":
		return unix.SECCOMP_RET_LOG, nil
	}
	return 0, fmt.Errorf("seccomp action %s is not supported", action)
}

// asm builds a program whose jumps name labels placed after them, within
// 255 instructions.
type asm struct {
	prog   []bpf.Instruction
	labels map[int]int // label -> pc
	// fix lists the jumps to resolve: pc, true label, false label
	// (-1: the next instruction).
	fix    []fixup
	nlabel int
}

type fixup struct{ pc, jt, jf int }

func (a *asm) label() int               { a.nlabel++; return a.nlabel }
func (a *asm) place(l int)              { a.labels[l] = len(a.prog) }
func (a *asm) stmt(op uint16, k uint32) { a.prog = append(a.prog, bpf.Stmt(op, k)) }

// jump emits a conditional jump to label jt when true and jf when false
// (-1 falls through).
func (a *asm) jump(op uint16, k uint32, jt, jf int) {
	a.fix = append(a.fix, fixup{len(a.prog), jt, jf})
	a.prog = append(a.prog, bpf.Jump(op, k, 0, 0))
}

func (a *asm) resolve() error {
	for _, f := range a.fix {
		off := func(l int) (int, error) {
			if l == -1 {
				return 0, nil
			}
			pc, ok := a.labels[l]
			if !ok || pc <= f.pc {
				return 0, fmt.Errorf("seccomp: internal error: bad label")
			}
			return pc - f.pc - 1, nil
		}
		t, err := off(f.jt)
		if err != nil {
			return err
		}
		e, err := off(f.jf)
		if err != nil {
			return err
		}
		if t > 255 || e > 255 {
			return fmt.Errorf("seccomp: a rule is too long")
		}
		a.prog[f.pc].JT, a.prog[f.pc].JF = uint8(t), uint8(e)
	}
	return nil
}

// seccomp_data offsets.
const (
	offNR   = 0
	offArch = 4
	offArgs = 16
)

// x32SyscallBit marks the x32 ABI's system calls, which an x86-64
// profile does not allow (libseccomp treats them as a foreign
// architecture).
const x32SyscallBit = 0x40000000

// CompileSeccomp turns a seccomp profile into a classic BPF filter with
// libseccomp's meaning: another architecture than x86-64 (or x32) is
// killed, each rule's names and argument conditions are checked in
// order and the first match gives its action, anything else gets the
// default action. Conditions on different arguments must all hold; several
// conditions on the same argument are alternatives, as runc splits them.
// Unknown system call names are skipped, as runc does.
func CompileSeccomp(s *Seccomp) ([]bpf.Instruction, error) {
	def, err := seccompAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	for _, a := range s.Architectures {
		switch a {
		case "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32":
		default:
			// Foreign architectures never reach kite.
		}
	}
	a := &asm{labels: map[int]int{}}
	archOK, abiOK := a.label(), a.label()
	a.stmt(bpf.LD|bpf.W|bpf.ABS, offArch)
	a.jump(bpf.JMP|bpf.JEQ|bpf.K, unix.AUDIT_ARCH_X86_64, archOK, -1)
	a.stmt(bpf.RET|bpf.K, unix.SECCOMP_RET_KILL_THREAD)
	a.place(archOK)
	a.stmt(bpf.LD|bpf.W|bpf.ABS, offNR)
	a.jump(bpf.JMP|bpf.JGE|bpf.K, x32SyscallBit, -1, abiOK)
	a.stmt(bpf.RET|bpf.K, unix.SECCOMP_RET_KILL_THREAD)
	a.place(abiOK)
	// A holds the system call number after the check above and after a
	// rule without argument conditions; a rule with conditions leaves an
	// argument there.
	aIsNR := true
	for _, rule := range s.Syscalls {
		act, err := seccompAction(rule.Action, rule.ErrnoRet)
		if err != nil {
			return nil, err
		}
		alts := [][]Arg{rule.Args}
		if sameIndex(rule.Args) {
			alts = nil
			for _, arg := range rule.Args {
				alts = append(alts, []Arg{arg})
			}
		}
		for _, name := range rule.Names {
			nr, ok := syscallNumbers[name]
			if !ok {
				continue
			}
			for _, conds := range alts {
				if !aIsNR {
					a.stmt(bpf.LD|bpf.W|bpf.ABS, offNR)
				}
				aIsNR = len(conds) == 0
				skip := a.label()
				a.jump(bpf.JMP|bpf.JEQ|bpf.K, nr, -1, skip)
				for _, c := range conds {
					if err := a.cond(c, skip); err != nil {
						return nil, err
					}
				}
				a.stmt(bpf.RET|bpf.K, act)
				a.place(skip)
			}
		}
	}
	a.stmt(bpf.RET|bpf.K, def)
	if err := a.resolve(); err != nil {
		return nil, err
	}
	if len(a.prog) > bpf.MaxInstructions {
		return nil, fmt.Errorf("seccomp profile compiles to %d instructions, more than %d", len(a.prog), bpf.MaxInstructions)
	}
	if err := bpf.CheckSeccomp(a.prog); err != nil {
		return nil, fmt.Errorf("seccomp: compiled filter rejected: %w", err)
	}
	return a.prog, nil
}

// sameIndex reports whether two conditions name the same argument.
func sameIndex(args []Arg) bool {
	seen := map[uint]bool{}
	for _, a := range args {
		if seen[a.Index] {
			return true
		}
		seen[a.Index] = true
	}
	return false
}

// cond emits a 64-bit comparison of argument c.Index that falls through
// when it holds and jumps to fail when not.
func (a *asm) cond(c Arg, fail int) error {
	if c.Index > 5 {
		return fmt.Errorf("seccomp: argument index %d out of range", c.Index)
	}
	lo, hi := uint32(offArgs+8*c.Index), uint32(offArgs+8*c.Index+4)
	vlo, vhi := uint32(c.Value), uint32(c.Value>>32)
	pass := a.label()
	switch c.Op {
	case "SCMP_CMP_EQ", "SCMP_CMP_NE":
		t, f := pass, fail
		if c.Op == "SCMP_CMP_NE" {
			t, f = fail, pass
		}
		a.stmt(bpf.LD|bpf.W|bpf.ABS, hi)
		a.jump(bpf.JMP|bpf.JEQ|bpf.K, vhi, -1, f)
		a.stmt(bpf.LD|bpf.W|bpf.ABS, lo)
		a.jump(bpf.JMP|bpf.JEQ|bpf.K, vlo, t, f)
	case "SCMP_CMP_MASKED_EQ":
		mlo, mhi := vlo, vhi
		wlo, whi := uint32(c.ValueTwo), uint32(c.ValueTwo>>32)
		a.stmt(bpf.LD|bpf.W|bpf.ABS, hi)
		a.stmt(bpf.ALU|bpf.AND|bpf.K, mhi)
		a.jump(bpf.JMP|bpf.JEQ|bpf.K, whi, -1, fail)
		a.stmt(bpf.LD|bpf.W|bpf.ABS, lo)
		a.stmt(bpf.ALU|bpf.AND|bpf.K, mlo)
		a.jump(bpf.JMP|bpf.JEQ|bpf.K, wlo, pass, fail)
	case "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_LT", "SCMP_CMP_LE":
		// Unsigned 64-bit: decide on the high words, then the low.
		// LT and LE are the negations of GE and GT.
		t, f := pass, fail
		op := uint16(bpf.JGT)
		switch c.Op {
		case "SCMP_CMP_GE":
			op = bpf.JGE
		case "SCMP_CMP_LT":
			op, t, f = bpf.JGE, fail, pass
		case "SCMP_CMP_LE":
			op, t, f = bpf.JGT, fail, pass
		}
		a.stmt(bpf.LD|bpf.W|bpf.ABS, hi)
		a.jump(bpf.JMP|bpf.JGT|bpf.K, vhi, t, -1)
		a.jump(bpf.JMP|bpf.JEQ|bpf.K, vhi, -1, f)
		a.stmt(bpf.LD|bpf.W|bpf.ABS, lo)
		a.jump(bpf.JMP|op|bpf.K, vlo, t, f)
	default:
		return fmt.Errorf("seccomp operator %s is not supported", c.Op)
	}
	a.place(pass)
	return nil
}
