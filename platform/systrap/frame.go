package systrap

import (
	"encoding/binary"

	"github.com/kite-os/kite/arch"
)

var le = binary.LittleEndian

// The host's signal frame on amd64, as far as kite reads and writes it:
// struct ucontext at the handler's rdx, struct siginfo at rsi, and the
// xsave area that uc_mcontext.fpstate points to.
const (
	ucMContext = 40  // struct sigcontext in struct ucontext
	ucSize     = 304 // through uc_sigmask

	scRIP     = 128
	scEFLAGS  = 136
	scCS      = 144 // u16
	scSS      = 150 // u16
	scFPState = 184

	siSize    = 128
	siCode    = 8
	siAddr    = 16
	siSigno   = 0
	xsaveHdr  = 512
	xsaveSize = 64 // the header

	fxMXCSR      = 24
	fxMXCSRMask  = 28
	fxSWReserved = 464 // fpx_sw_bytes in a frame; XCR0 in NT_X86_XSTATE
	fxSWLen      = 48
)

// sigcontextGPRs are the general registers in struct sigcontext, with
// their offsets.
var sigcontextGPRs = [...]struct {
	off int
	reg func(*arch.Registers) *uint64
}{
	{0, func(r *arch.Registers) *uint64 { return &r.R8 }},
	{8, func(r *arch.Registers) *uint64 { return &r.R9 }},
	{16, func(r *arch.Registers) *uint64 { return &r.R10 }},
	{24, func(r *arch.Registers) *uint64 { return &r.R11 }},
	{32, func(r *arch.Registers) *uint64 { return &r.R12 }},
	{40, func(r *arch.Registers) *uint64 { return &r.R13 }},
	{48, func(r *arch.Registers) *uint64 { return &r.R14 }},
	{56, func(r *arch.Registers) *uint64 { return &r.R15 }},
	{64, func(r *arch.Registers) *uint64 { return &r.Rdi }},
	{72, func(r *arch.Registers) *uint64 { return &r.Rsi }},
	{80, func(r *arch.Registers) *uint64 { return &r.Rbp }},
	{88, func(r *arch.Registers) *uint64 { return &r.Rbx }},
	{96, func(r *arch.Registers) *uint64 { return &r.Rdx }},
	{104, func(r *arch.Registers) *uint64 { return &r.Rax }},
	{112, func(r *arch.Registers) *uint64 { return &r.Rcx }},
	{120, func(r *arch.Registers) *uint64 { return &r.Rsp }},
	{128, func(r *arch.Registers) *uint64 { return &r.Rip }},
}

// readSigcontext fills regs from the sigcontext at sc.
func readSigcontext(sc []byte, regs *arch.Registers) {
	for _, g := range sigcontextGPRs {
		*g.reg(regs) = le.Uint64(sc[g.off:])
	}
	regs.Eflags = le.Uint64(sc[scEFLAGS:])
	regs.Cs = uint64(le.Uint16(sc[scCS:]))
	regs.Ss = uint64(le.Uint16(sc[scSS:]))
	regs.Ds, regs.Es, regs.Fs, regs.Gs = 0, 0, 0, 0
}

// writeSigcontext stores regs into the sigcontext at sc for rt_sigreturn.
func writeSigcontext(sc []byte, regs *arch.Registers) {
	for _, g := range sigcontextGPRs {
		le.PutUint64(sc[g.off:], *g.reg(regs))
	}
	le.PutUint64(sc[scEFLAGS:], regs.Eflags)
	le.PutUint16(sc[scCS:], uint16(regs.Cs))
	le.PutUint16(sc[scSS:], uint16(regs.Ss))
}
