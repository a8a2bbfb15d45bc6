package arch

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
)

// The amd64 signal frame, byte for byte as Linux builds it
// (arch/x86/kernel/signal_64.c). From the handler's stack pointer up:
//
//	frame+0    pretcode      sa_restorer; the handler's `ret` pops it
//	frame+8    struct ucontext (304 bytes)
//	             +0   uc_flags
//	             +8   uc_link (0)
//	             +16  uc_stack (stack_t, 24 bytes)
//	             +40  uc_mcontext (struct sigcontext, 256 bytes)
//	             +296 uc_sigmask (8 bytes)
//	frame+312  siginfo_t (128 bytes; written only with SA_SIGINFO)
//	frame+440  padding up to the 64-byte aligned xsave area
//	fpstate    xsave area (XSaveLayout.Size bytes), FP_XSTATE_MAGIC2 after it
//
// The frame starts 8 bytes below a 16-byte boundary, so that rsp+8 is
// 16-byte aligned at the handler's first instruction as after a call.
const (
	frameUContext = 8
	frameInfo     = frameUContext + ucSize

	// RTSigframeSize is sizeof(struct rt_sigframe) on amd64: everything
	// above but the xsave area.
	RTSigframeSize = frameInfo + SignalInfoSize

	ucFlags    = 0
	ucLink     = 8
	ucStack    = 16
	ucMContext = 40
	ucSigmask  = 296
	ucSize     = 304

	// struct sigcontext (asm/sigcontext.h), from uc_mcontext.
	scR8      = 0
	scR9      = 8
	scR10     = 16
	scR11     = 24
	scR12     = 32
	scR13     = 40
	scR14     = 48
	scR15     = 56
	scRDI     = 64
	scRSI     = 72
	scRBP     = 80
	scRBX     = 88
	scRDX     = 96
	scRAX     = 104
	scRCX     = 112
	scRSP     = 120
	scRIP     = 128
	scEFLAGS  = 136
	scCS      = 144 // __u16
	scGS      = 146 // __u16
	scFS      = 148 // __u16
	scSS      = 150 // __u16
	scErr     = 152
	scTrapNo  = 160
	scOldMask = 168
	scCR2     = 176
	scFPState = 184
	scSize    = 256 // with 8 reserved words

	// redZoneSize bytes below rsp belong to the interrupted function
	// (System V amd64 ABI); a frame on the same stack goes below them.
	redZoneSize = 128

	// frameAlign is the alignment of the frame before the 8 bytes of
	// the return address are taken off.
	frameAlign = 16

	// xsaveAlign is the alignment XSAVE and XRSTOR require.
	xsaveAlign = 64
)

// Offsets in an XSAVE area.
const (
	fxMXCSR       = 24
	fxMXCSRMask   = 28
	fxSWReserved  = 464 // 48 bytes the CPU ignores: fpx_sw_bytes in a frame
	xsaveHeader   = FXSaveSize
	xsaveHdrBV    = xsaveHeader     // XSTATE_BV
	xsaveHdrComp  = xsaveHeader + 8 // XCOMP_BV
	xsaveHdrSize  = 64              // the whole header
	minXSaveSize  = xsaveHeader + xsaveHdrSize
	swMagic1      = fxSWReserved      // fpx_sw_bytes.magic1
	swExtSize     = fxSWReserved + 4  // fpx_sw_bytes.extended_size
	swXFeatures   = fxSWReserved + 8  // fpx_sw_bytes.xfeatures
	swXStateSize  = fxSWReserved + 16 // fpx_sw_bytes.xstate_size
	swReservedLen = 48
)

// XSAVE state components that Linux treats specially.
const (
	xfeatureFP    = 1 << 0
	xfeatureSSE   = 1 << 1
	xfeatureYMM   = 1 << 2
	xfeatureFPSSE = xfeatureFP | xfeatureSSE
)

// RFLAGS bits.
const (
	eflagsCF = 1 << 0
	eflagsPF = 1 << 2
	eflagsAF = 1 << 4
	eflagsZF = 1 << 6
	eflagsSF = 1 << 7
	eflagsTF = 1 << 8
	eflagsDF = 1 << 10
	eflagsOF = 1 << 11
	eflagsRF = 1 << 16
	eflagsAC = 1 << 18

	// fixEflags are the flags rt_sigreturn takes from the frame; the
	// others (IF, IOPL, VM, ...) keep their current values.
	fixEflags = eflagsAC | eflagsOF | eflagsDF | eflagsTF | eflagsSF |
		eflagsZF | eflagsAF | eflagsPF | eflagsCF | eflagsRF
)

// defaultMXCSR is MXCSR in the initial FP state; defaultMXCSRMask the mask
// Linux assumes when FXSAVE reports none.
const (
	defaultMXCSR     = 0x1f80
	defaultMXCSRMask = 0xffbf
)

// XSaveLayout describes the XSAVE area user space sees on this CPU: Linux's
// fpu_user_cfg.max_size and the user features of XCR0.
type XSaveLayout struct {
	// Size is the size of the (non-compacted) XSAVE area: the length of
	// the NT_X86_XSTATE register set and of a signal frame's fpstate.
	Size int
	// Features is the set of XSAVE features the kernel enables for user
	// space (XCR0).
	Features uint64
	// MXCSRMask is the set of MXCSR bits the CPU implements; loading any
	// other is a #GP.
	MXCSRMask uint32
}

// XSaveLayoutOf reads the layout from an FP state as the platform returns
// it, in NT_X86_XSTATE form: its length is the area's size, the first
// word of its software-reserved bytes is XCR0 (as Linux's ptrace fills
// it), and FXSAVE's mxcsr_mask field gives the MXCSR mask.
func XSaveLayoutOf(fp FPState) (XSaveLayout, error) {
	if len(fp) < minXSaveSize {
		return XSaveLayout{}, unix.EINVAL
	}
	l := XSaveLayout{
		Size:      len(fp),
		Features:  binary.LittleEndian.Uint64(fp[fxSWReserved:]),
		MXCSRMask: binary.LittleEndian.Uint32(fp[fxMXCSRMask:]),
	}
	if l.Features&xfeatureFPSSE != xfeatureFPSSE {
		return XSaveLayout{}, unix.EINVAL
	}
	if l.MXCSRMask == 0 {
		l.MXCSRMask = defaultMXCSRMask
	}
	return l, nil
}

// FrameFPSize is the size of the FP part of a signal frame: the XSAVE area
// and FP_XSTATE_MAGIC2.
func (l XSaveLayout) FrameFPSize() int { return l.Size + linux.FP_XSTATE_MAGIC2_SIZE }

// FaultState is what a thread's last hardware exception left for
// sigcontext: Linux's thread.trap_nr, thread.error_code and thread.cr2.
// They keep their values until the next exception, so a signal that is
// not a fault reports the last fault's (zeros if there was none).
type FaultState struct {
	TrapNo    uint64
	ErrorCode uint64
	CR2       uint64
}

// SignalDelivery is what building a signal frame needs.
type SignalDelivery struct {
	// Signo is the signal number, passed to the handler in rdi.
	Signo int
	// Info is copied into the frame when Action has SA_SIGINFO; it may be
	// nil otherwise.
	Info *SignalInfo
	// Action is the handler. SA_RESTORER must be set: amd64 has no
	// kernel-provided return trampoline, and Linux refuses (SIGSEGV)
	// to deliver without one.
	Action linux.SigAction
	// Mask is the signal mask that rt_sigreturn restores: the mask
	// before delivery, or the one saved by sigsuspend, ppoll, pselect
	// or epoll_pwait when those were interrupted.
	Mask linux.SignalSet
	// AltStack is the thread's alternate signal stack state (see
	// DisabledSignalStack).
	AltStack linux.SignalStack
	// FP is the thread's FP state at delivery, in NT_X86_XSTATE form (the
	// platform's Context.FPState).
	FP FPState
	// Fault fills sigcontext's trapno, err and cr2.
	Fault FaultState
}

// SignalFrame is a built signal frame.
type SignalFrame struct {
	// Addr is the frame's address in the application: the handler's
	// stack pointer.
	Addr uintptr
	// Bytes go to application memory at Addr. Where Linux leaves the
	// stack's old contents (stack_t's padding, sigcontext's reserved
	// words, the siginfo without SA_SIGINFO, the alignment gap before
	// the xsave area) they hold zeros.
	Bytes []byte
	// Regs are the registers the handler starts with.
	Regs Registers
	// AltStack is the thread's alternate stack state once the frame is
	// delivered (SignalStackAfterDelivery).
	AltStack linux.SignalStack
}

// SetupSignalFrame builds the frame that delivers d to a thread whose
// registers are regs, as Linux's x64_setup_rt_frame does, and returns it
// with the registers the handler starts with: rip at the handler, rsp at
// the frame, rdi = signal number, rsi = &frame.info, rdx = &frame.uc,
// rax = 0, cs the user code selector, DF, TF and RF cleared in rflags.
// regs is not modified.
//
// The caller then, in this order: copies Bytes to Addr (a fault there is
// a failed delivery), installs Regs, resets the FP state to the initial
// one (Context.SetFPState(nil); Linux starts every handler with fresh FP
// state), stores AltStack, and blocks the handler's mask. An error
// (EFAULT: no SA_RESTORER, the alternate stack would overflow, or the
// stack pointer would wrap; EINVAL: d.FP is not an XSAVE area) is a
// failed delivery too: Linux then forces SIGSEGV (force_sigsegv).
func SetupSignalFrame(regs *Registers, d *SignalDelivery) (SignalFrame, error) {
	if d.Action.Flags&linux.SA_RESTORER == 0 {
		return SignalFrame{}, unix.EFAULT
	}
	layout, err := XSaveLayoutOf(d.FP)
	if err != nil {
		return SignalFrame{}, err
	}
	fpAddr, frameAddr, err := signalFrameAddrs(regs.Rsp, &d.Action, d.AltStack, layout)
	if err != nil {
		return SignalFrame{}, err
	}

	b := make([]byte, fpAddr+uint64(layout.FrameFPSize())-frameAddr)
	le := binary.LittleEndian
	le.PutUint64(b[0:], d.Action.Restorer)

	uc := b[frameUContext : frameUContext+ucSize]
	le.PutUint64(uc[ucFlags:], frameUCFlags(regs))
	le.PutUint64(uc[ucLink:], 0)
	putSignalStack(uc[ucStack:], d.AltStack)
	putSigcontext(uc[ucMContext:ucMContext+scSize], regs, fpAddr, uint64(d.Mask), d.Fault)
	le.PutUint64(uc[ucSigmask:], uint64(d.Mask))

	if d.Action.Flags&linux.SA_SIGINFO != 0 && d.Info != nil {
		d.Info.Encode(b[frameInfo:])
	}

	putFrameFPState(b[fpAddr-frameAddr:], d.FP, layout)

	h := *regs
	h.Rdi = uint64(d.Signo)
	h.Rax = 0
	h.Rsi = frameAddr + frameInfo
	h.Rdx = frameAddr + frameUContext
	h.Rip = d.Action.Handler
	h.Rsp = frameAddr
	h.Cs = UserCS
	if h.Ss != UserDS {
		// Linux keeps a valid old SS and replaces an invalid one; the
		// user data selector is the only valid one a 64-bit kite
		// thread can have.
		h.Ss = UserDS
	}
	h.Eflags &^= eflagsDF | eflagsRF | eflagsTF

	return SignalFrame{
		Addr:     uintptr(frameAddr),
		Bytes:    b,
		Regs:     h,
		AltStack: SignalStackAfterDelivery(d.AltStack),
	}, nil
}

// signalFrameAddrs places a frame below sp as Linux's get_sigframe does
// and returns the addresses of its xsave area and of its start.
func signalFrameAddrs(rsp uint64, act *linux.SigAction, alt linux.SignalStack, layout XSaveLayout) (fpAddr, frameAddr uint64, err error) {
	nested := OnSignalStack(alt, rsp)
	entering := false
	sp, ok := sub(rsp, redZoneSize)
	if act.Flags&linux.SA_ONSTACK != 0 && SignalStackFlags(alt, sp) == 0 {
		sp, ok = alt.Sp+alt.Size, alt.Sp+alt.Size >= alt.Sp
		entering = true
	}
	if !ok {
		return 0, 0, unix.EFAULT
	}
	if sp, ok = sub(sp, uint64(layout.FrameFPSize())); !ok {
		return 0, 0, unix.EFAULT
	}
	fpAddr = sp &^ (xsaveAlign - 1)
	if sp, ok = sub(fpAddr, RTSigframeSize); !ok {
		return 0, 0, unix.EFAULT
	}
	if sp, ok = sub(sp&^(frameAlign-1), 8); !ok {
		return 0, 0, unix.EFAULT
	}
	if (nested || entering) && !onSignalStackRange(alt, sp) {
		// The alternate stack would overflow: Linux gives the frame
		// an impossible address, so the delivery fails with SIGSEGV.
		return 0, 0, unix.EFAULT
	}
	return fpAddr, sp, nil
}

func sub(a, b uint64) (uint64, bool) { return a - b, a >= b }

// frameUCFlags is Linux's frame_uc_flags: kite requires XSAVE, and a
// thread in 64-bit mode gets its SS restored strictly.
func frameUCFlags(regs *Registers) uint64 {
	f := uint64(linux.UC_FP_XSTATE | linux.UC_SIGCONTEXT_SS)
	if regs.Cs == UserCS {
		f |= linux.UC_STRICT_RESTORE_SS
	}
	return f
}

func putSignalStack(b []byte, s linux.SignalStack) {
	binary.LittleEndian.PutUint64(b[0:], s.Sp)
	binary.LittleEndian.PutUint32(b[8:], uint32(s.Flags))
	binary.LittleEndian.PutUint32(b[12:], 0)
	binary.LittleEndian.PutUint64(b[16:], s.Size)
}

func getSignalStack(b []byte) linux.SignalStack {
	return linux.SignalStack{
		Sp:    binary.LittleEndian.Uint64(b[0:]),
		Flags: int32(binary.LittleEndian.Uint32(b[8:])),
		Size:  binary.LittleEndian.Uint64(b[16:]),
	}
}

// putSigcontext writes struct sigcontext as Linux's setup_sigcontext
// does on amd64: fs and gs are written as 0.
func putSigcontext(sc []byte, r *Registers, fpAddr, oldMask uint64, f FaultState) {
	le := binary.LittleEndian
	for _, g := range sigcontextGPRs {
		le.PutUint64(sc[g.off:], *g.reg(r))
	}
	le.PutUint64(sc[scEFLAGS:], r.Eflags)
	le.PutUint16(sc[scCS:], uint16(r.Cs))
	le.PutUint16(sc[scGS:], 0)
	le.PutUint16(sc[scFS:], 0)
	le.PutUint16(sc[scSS:], uint16(r.Ss))
	le.PutUint64(sc[scErr:], f.ErrorCode)
	le.PutUint64(sc[scTrapNo:], f.TrapNo)
	le.PutUint64(sc[scOldMask:], oldMask)
	le.PutUint64(sc[scCR2:], f.CR2)
	le.PutUint64(sc[scFPState:], fpAddr)
}

// sigcontextGPRs are the 64-bit registers sigcontext saves and
// rt_sigreturn restores, with their offsets.
var sigcontextGPRs = [...]struct {
	off int
	reg func(*Registers) *uint64
}{
	{scR8, func(r *Registers) *uint64 { return &r.R8 }},
	{scR9, func(r *Registers) *uint64 { return &r.R9 }},
	{scR10, func(r *Registers) *uint64 { return &r.R10 }},
	{scR11, func(r *Registers) *uint64 { return &r.R11 }},
	{scR12, func(r *Registers) *uint64 { return &r.R12 }},
	{scR13, func(r *Registers) *uint64 { return &r.R13 }},
	{scR14, func(r *Registers) *uint64 { return &r.R14 }},
	{scR15, func(r *Registers) *uint64 { return &r.R15 }},
	{scRDI, func(r *Registers) *uint64 { return &r.Rdi }},
	{scRSI, func(r *Registers) *uint64 { return &r.Rsi }},
	{scRBP, func(r *Registers) *uint64 { return &r.Rbp }},
	{scRBX, func(r *Registers) *uint64 { return &r.Rbx }},
	{scRDX, func(r *Registers) *uint64 { return &r.Rdx }},
	{scRAX, func(r *Registers) *uint64 { return &r.Rax }},
	{scRCX, func(r *Registers) *uint64 { return &r.Rcx }},
	{scRSP, func(r *Registers) *uint64 { return &r.Rsp }},
	{scRIP, func(r *Registers) *uint64 { return &r.Rip }},
}

// putFrameFPState writes the xsave area of a frame into b as Linux's
// copy_fpstate_to_sigframe does: the state itself, the fpx_sw_bytes in
// the software-reserved bytes, FP and SSE always marked in XSTATE_BV so
// that a handler that edits the legacy area gets its edits restored, and
// FP_XSTATE_MAGIC2 after the area.
func putFrameFPState(b []byte, fp FPState, l XSaveLayout) {
	le := binary.LittleEndian
	copy(b[:l.Size], fp)
	clear(b[fxSWReserved : fxSWReserved+swReservedLen])
	le.PutUint32(b[swMagic1:], linux.FP_XSTATE_MAGIC1)
	le.PutUint32(b[swExtSize:], uint32(l.FrameFPSize()))
	le.PutUint64(b[swXFeatures:], l.Features)
	le.PutUint32(b[swXStateSize:], uint32(l.Size))
	le.PutUint64(b[xsaveHdrBV:], le.Uint64(b[xsaveHdrBV:])|xfeatureFPSSE)
	le.PutUint32(b[l.Size:], linux.FP_XSTATE_MAGIC2)
}

// CopyInFunc reads application memory at addr into dst, returning how many
// bytes it read (the kernel's Task.CopyIn).
type CopyInFunc func(addr uintptr, dst []byte) (int, error)

// SignalReturnFrameAddr is where rt_sigreturn finds the frame: the
// handler's `ret` popped pretcode, so the frame starts 8 bytes below the
// stack pointer at the rt_sigreturn system call.
func SignalReturnFrameAddr(regs *Registers) uintptr { return uintptr(regs.Rsp - 8) }

// SignalReturn is what rt_sigreturn restores besides the registers.
type SignalReturn struct {
	// SetMask says the frame's uc_sigmask was read: the kernel blocks
	// Mask (SIGKILL and SIGSTOP already removed) even if
	// RestoreSignalFrame fails later, as Linux does.
	SetMask bool
	Mask    linux.SignalSet
	// SetFP says the kernel must install FP (nil: the initial state),
	// error or not: a bad FP state in the frame resets the FP registers.
	SetFP bool
	FP    FPState
	// AltStack is the thread's alternate stack state after the call:
	// restored from uc_stack when sigaltstack would accept it, else
	// unchanged (Linux ignores every error but a fault there).
	AltStack linux.SignalStack
}

// RestoreSignalFrame carries out rt_sigreturn for a thread with registers
// regs and alternate stack state alt, reading the frame at
// SignalReturnFrameAddr(regs) through copyIn, as Linux's rt_sigreturn
// does:
//
//   - the registers saved in uc_mcontext replace regs; cs and ss get RPL
//     3, only the FIX_EFLAGS bits of rflags come from the frame, and
//     orig_rax becomes -1 so that no syscall restart happens. The
//     system call's return value is the restored rax: the kernel must
//     leave regs.Rax alone.
//   - the FP state comes from the frame's fpstate pointer (0: the
//     initial state). Without valid fpx_sw_bytes and FP_XSTATE_MAGIC2
//     only the legacy FXSAVE part is taken and the rest is reset, as
//     Linux does for frames built by code that knows no xsave.
//   - uc_stack is restored through sigaltstack's rules.
//
// A non-nil error means a bad frame (EFAULT: unreadable; EINVAL: a state
// the CPU would refuse to load, such as reserved MXCSR bits, a misaligned
// or malformed xsave area, or a code segment other than the 64-bit user
// one) and the kernel must force SIGSEGV. regs is modified only if the
// sigcontext could be read; Linux also leaves them restored when only
// the FP state is bad. The result's SetMask and SetFP say what to apply
// in every case.
func RestoreSignalFrame(regs *Registers, alt linux.SignalStack, layout XSaveLayout, copyIn CopyInFunc) (SignalReturn, error) {
	ret := SignalReturn{AltStack: alt}
	frameAddr := uint64(SignalReturnFrameAddr(regs))
	var frame [frameInfo]byte
	if err := readFull(copyIn, frameAddr, frame[:]); err != nil {
		return ret, err
	}
	le := binary.LittleEndian
	uc := frame[frameUContext:]
	ret.SetMask = true
	ret.Mask = linux.SignalSet(le.Uint64(uc[ucSigmask:])) &^ linux.UnblockableSignals
	ucFlags := le.Uint64(uc[ucFlags:])
	sc := uc[ucMContext : ucMContext+scSize]

	r := *regs
	for _, g := range sigcontextGPRs {
		*g.reg(&r) = le.Uint64(sc[g.off:])
	}
	r.Cs = uint64(le.Uint16(sc[scCS:]) | 3)
	r.Ss = uint64(le.Uint16(sc[scSS:]) | 3)
	r.Eflags = regs.Eflags&^fixEflags | le.Uint64(sc[scEFLAGS:])&fixEflags
	r.Orig_rax = ^uint64(0)
	if ucFlags&linux.UC_STRICT_RESTORE_SS == 0 && r.Cs == UserCS && r.Ss != UserDS {
		// Linux's force_valid_ss for frames from old software.
		r.Ss = UserDS
	}
	*regs = r

	// Past this point Linux resets the FP state if it cannot restore it.
	ret.SetFP = true
	fp, err := restoreFPState(le.Uint64(sc[scFPState:]), layout, copyIn)
	if err != nil {
		return ret, err
	}
	ret.FP = fp

	// kite runs 64-bit code only: another code segment (a 32-bit one,
	// or a bogus selector the CPU would fault on) cannot be resumed. The
	// thread gets SIGSEGV with the user selectors in place.
	if r.Cs != UserCS || r.Ss != UserDS {
		regs.Cs, regs.Ss = UserCS, UserDS
		return ret, unix.EINVAL
	}

	ss := getSignalStack(uc[ucStack:])
	if next, err := SetSignalStack(alt, ss, r.Rsp, linux.MINSIGSTKSZ); err == nil {
		ret.AltStack = next
	}
	return ret, nil
}

// readFull reads len(dst) bytes at addr; anything short is EFAULT.
func readFull(copyIn CopyInFunc, addr uint64, dst []byte) error {
	if addr+uint64(len(dst)) < addr {
		return unix.EFAULT
	}
	n, err := copyIn(uintptr(addr), dst)
	if err != nil || n != len(dst) {
		return unix.EFAULT
	}
	return nil
}

// restoreFPState reads the xsave area at addr of a frame and returns the
// FP state it loads, as Linux's fpu__restore_sig does; nil is the initial
// state.
func restoreFPState(addr uint64, l XSaveLayout, copyIn CopyInFunc) (FPState, error) {
	if addr == 0 {
		return nil, nil
	}
	le := binary.LittleEndian
	var sw [swReservedLen]byte
	if err := readFull(copyIn, addr+fxSWReserved, sw[:]); err != nil {
		return nil, err
	}
	magic1 := le.Uint32(sw[0:])
	xstateSize := uint64(le.Uint32(sw[16:]))
	xrestore := le.Uint64(sw[8:])
	full := magic1 == linux.FP_XSTATE_MAGIC1 &&
		xstateSize >= minXSaveSize &&
		xstateSize <= uint64(l.Size) &&
		xstateSize <= uint64(le.Uint32(sw[4:]))
	if full {
		var m [4]byte
		if err := readFull(copyIn, addr+xstateSize, m[:]); err != nil {
			return nil, err
		}
		full = le.Uint32(m[:]) == linux.FP_XSTATE_MAGIC2
	}

	fp := make(FPState, l.Size)
	if !full {
		return fp, restoreFXState(fp, addr, l, copyIn)
	}
	if addr%xsaveAlign != 0 {
		return nil, unix.EINVAL
	}
	if err := readFull(copyIn, addr, fp); err != nil {
		return nil, err
	}
	// XRSTOR faults on a header it cannot load: features the CPU does
	// not enable, or anything in XCOMP_BV and the word after it (kite
	// does not take compacted areas from frames).
	bv := le.Uint64(fp[xsaveHdrBV:])
	if bv&^l.Features != 0 || le.Uint64(fp[xsaveHdrComp:]) != 0 || le.Uint64(fp[xsaveHdrComp+8:]) != 0 {
		return nil, unix.EINVAL
	}
	// Only the features the frame names are loaded from it; the others
	// return to their initial state.
	rfbm := xrestore & l.Features
	if rfbm&(xfeatureSSE|xfeatureYMM) != 0 {
		if le.Uint32(fp[fxMXCSR:])&^l.MXCSRMask != 0 {
			return nil, unix.EINVAL
		}
	} else {
		le.PutUint32(fp[fxMXCSR:], defaultMXCSR)
	}
	le.PutUint64(fp[xsaveHdrBV:], bv&rfbm)
	canonicalFPState(fp, l)
	return fp, nil
}

// restoreFXState fills fp from a frame whose fpstate is a plain FXSAVE
// image (Linux's "fx_only" case): x87 and SSE come from it, everything
// else is initial.
func restoreFXState(fp FPState, addr uint64, l XSaveLayout, copyIn CopyInFunc) error {
	if addr%16 != 0 {
		return unix.EINVAL
	}
	if err := readFull(copyIn, addr, fp[:FXSaveSize]); err != nil {
		return err
	}
	le := binary.LittleEndian
	if le.Uint32(fp[fxMXCSR:])&^l.MXCSRMask != 0 {
		return unix.EINVAL
	}
	le.PutUint64(fp[xsaveHdrBV:], xfeatureFPSSE)
	canonicalFPState(fp, l)
	return nil
}

// canonicalFPState gives fp the software-reserved bytes of an
// NT_X86_XSTATE image (XCR0 first, zeros after), so that a restored
// state reads like one the platform returned.
func canonicalFPState(fp FPState, l XSaveLayout) {
	clear(fp[fxSWReserved : fxSWReserved+swReservedLen])
	binary.LittleEndian.PutUint64(fp[fxSWReserved:], l.Features)
}
