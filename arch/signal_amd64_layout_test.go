package arch

import (
	"testing"

	"github.com/kite-os/kite/abi/linux"
)

// The kernel's own headers: struct ucontext, struct sigcontext and the
// xsave software bytes. struct rt_sigframe is kernel-internal, so the
// probe declares it from the uapi pieces the way the kernel does.
const frameProbe = `
#include <stddef.h>
#include <stdio.h>
#include <asm/sigcontext.h>
#include <linux/signal.h>
#include <asm/ucontext.h>
struct rt_sigframe { char *pretcode; struct ucontext uc; siginfo_t info; };
#define P(name, v) printf("%s %ld\n", name, (long)(v))
#define F(f) P("frame." #f, offsetof(struct rt_sigframe, f))
#define S(f) P("sc." #f, offsetof(struct sigcontext, f))
#define W(f) P("sw." #f, offsetof(struct _fpstate_64, sw_reserved) + offsetof(struct _fpx_sw_bytes, f))
int main(void) {
	P("sizeof.rt_sigframe", sizeof(struct rt_sigframe));
	P("sizeof.ucontext", sizeof(struct ucontext));
	P("sizeof.sigcontext", sizeof(struct sigcontext));
	P("sizeof.stack_t", sizeof(stack_t));
	F(pretcode); F(uc); F(info);
	F(uc.uc_flags); F(uc.uc_link); F(uc.uc_stack); F(uc.uc_stack.ss_sp);
	F(uc.uc_stack.ss_flags); F(uc.uc_stack.ss_size); F(uc.uc_mcontext); F(uc.uc_sigmask);
	S(r8); S(r9); S(r10); S(r11); S(r12); S(r13); S(r14); S(r15);
	S(rdi); S(rsi); S(rbp); S(rbx); S(rdx); S(rax); S(rcx); S(rsp); S(rip);
	S(eflags); S(cs); S(gs); S(fs); S(ss); S(err); S(trapno); S(oldmask); S(cr2); S(fpstate);
	W(magic1); W(extended_size); W(xfeatures); W(xstate_size);
	P("fx.mxcsr", offsetof(struct _fpstate_64, mxcsr));
	P("fx.mxcsr_mask", offsetof(struct _fpstate_64, mxcsr_mask));
	P("sizeof.fpstate", sizeof(struct _fpstate_64));
	P("xstate.header", offsetof(struct _xstate, xstate_hdr));
	P("xstate.header.xfeatures", offsetof(struct _xstate, xstate_hdr.xfeatures));
	P("UC_FP_XSTATE", UC_FP_XSTATE);
	P("UC_SIGCONTEXT_SS", UC_SIGCONTEXT_SS);
	P("UC_STRICT_RESTORE_SS", UC_STRICT_RESTORE_SS);
	P("FP_XSTATE_MAGIC1", FP_XSTATE_MAGIC1);
	P("FP_XSTATE_MAGIC2", FP_XSTATE_MAGIC2);
	P("FP_XSTATE_MAGIC2_SIZE", FP_XSTATE_MAGIC2_SIZE);
	P("SS_ONSTACK", SS_ONSTACK);
	P("SS_DISABLE", SS_DISABLE);
	P("SS_AUTODISARM", SS_AUTODISARM);
	P("MINSIGSTKSZ", MINSIGSTKSZ);
	return 0;
}
`

func TestSignalFrameLayoutMatchesC(t *testing.T) {
	got := cValues(t, frameProbe)
	uc := int64(frameUContext)
	mc := uc + ucMContext
	checkValues(t, got, map[string]int64{
		"sizeof.rt_sigframe": RTSigframeSize,
		"sizeof.ucontext":    ucSize,
		"sizeof.sigcontext":  scSize,
		"sizeof.stack_t":     linux.SignalStackSize,
		"frame.pretcode":     0,
		"frame.uc":           frameUContext,
		"frame.info":         frameInfo,

		"frame.uc.uc_flags":          uc + ucFlags,
		"frame.uc.uc_link":           uc + ucLink,
		"frame.uc.uc_stack":          uc + ucStack,
		"frame.uc.uc_stack.ss_sp":    uc + ucStack,
		"frame.uc.uc_stack.ss_flags": uc + ucStack + 8,
		"frame.uc.uc_stack.ss_size":  uc + ucStack + 16,
		"frame.uc.uc_mcontext":       mc,
		"frame.uc.uc_sigmask":        uc + ucSigmask,

		"sc.r8": scR8, "sc.r9": scR9, "sc.r10": scR10, "sc.r11": scR11,
		"sc.r12": scR12, "sc.r13": scR13, "sc.r14": scR14, "sc.r15": scR15,
		"sc.rdi": scRDI, "sc.rsi": scRSI, "sc.rbp": scRBP, "sc.rbx": scRBX,
		"sc.rdx": scRDX, "sc.rax": scRAX, "sc.rcx": scRCX, "sc.rsp": scRSP,
		"sc.rip": scRIP, "sc.eflags": scEFLAGS, "sc.cs": scCS, "sc.gs": scGS,
		"sc.fs": scFS, "sc.ss": scSS, "sc.err": scErr, "sc.trapno": scTrapNo,
		"sc.oldmask": scOldMask, "sc.cr2": scCR2, "sc.fpstate": scFPState,

		"sw.magic1": swMagic1, "sw.extended_size": swExtSize,
		"sw.xfeatures": swXFeatures, "sw.xstate_size": swXStateSize,
		"fx.mxcsr": fxMXCSR, "fx.mxcsr_mask": fxMXCSRMask,
		"sizeof.fpstate":          FXSaveSize,
		"xstate.header":           xsaveHeader,
		"xstate.header.xfeatures": xsaveHdrBV,

		"UC_FP_XSTATE":          linux.UC_FP_XSTATE,
		"UC_SIGCONTEXT_SS":      linux.UC_SIGCONTEXT_SS,
		"UC_STRICT_RESTORE_SS":  linux.UC_STRICT_RESTORE_SS,
		"FP_XSTATE_MAGIC1":      linux.FP_XSTATE_MAGIC1,
		"FP_XSTATE_MAGIC2":      linux.FP_XSTATE_MAGIC2,
		"FP_XSTATE_MAGIC2_SIZE": linux.FP_XSTATE_MAGIC2_SIZE,
		"SS_ONSTACK":            linux.SS_ONSTACK,
		"SS_DISABLE":            linux.SS_DISABLE,
		"SS_AUTODISARM":         linux.SS_AUTODISARM,
		"MINSIGSTKSZ":           linux.MINSIGSTKSZ,
	})
}

// glibc's view: mcontext_t.gregs indexed by REG_*, which C code (and Go's
// runtime, and musl) use to read and edit the interrupted registers.
const gregsProbe = `
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <ucontext.h>
#define G(r) printf("%s %ld\n", #r, (long)(offsetof(ucontext_t, uc_mcontext.gregs) + 8 * r))
int main(void) {
	printf("uc_mcontext %ld\n", (long)offsetof(ucontext_t, uc_mcontext));
	printf("uc_sigmask %ld\n", (long)offsetof(ucontext_t, uc_sigmask));
	printf("fpregs %ld\n", (long)offsetof(ucontext_t, uc_mcontext.fpregs));
	G(REG_R8); G(REG_R9); G(REG_R10); G(REG_R11); G(REG_R12); G(REG_R13); G(REG_R14); G(REG_R15);
	G(REG_RDI); G(REG_RSI); G(REG_RBP); G(REG_RBX); G(REG_RDX); G(REG_RAX); G(REG_RCX);
	G(REG_RSP); G(REG_RIP); G(REG_EFL); G(REG_CSGSFS); G(REG_ERR); G(REG_TRAPNO);
	G(REG_OLDMASK); G(REG_CR2);
	return 0;
}
`

func TestSignalFrameMatchesGlibcGregs(t *testing.T) {
	got := cValues(t, gregsProbe)
	mc := int64(ucMContext)
	checkValues(t, got, map[string]int64{
		"uc_mcontext": mc,
		"uc_sigmask":  ucSigmask,
		"fpregs":      mc + scFPState,
		"REG_R8":      mc + scR8, "REG_R9": mc + scR9, "REG_R10": mc + scR10, "REG_R11": mc + scR11,
		"REG_R12": mc + scR12, "REG_R13": mc + scR13, "REG_R14": mc + scR14, "REG_R15": mc + scR15,
		"REG_RDI": mc + scRDI, "REG_RSI": mc + scRSI, "REG_RBP": mc + scRBP, "REG_RBX": mc + scRBX,
		"REG_RDX": mc + scRDX, "REG_RAX": mc + scRAX, "REG_RCX": mc + scRCX, "REG_RSP": mc + scRSP,
		"REG_RIP": mc + scRIP, "REG_EFL": mc + scEFLAGS, "REG_CSGSFS": mc + scCS,
		"REG_ERR": mc + scErr, "REG_TRAPNO": mc + scTrapNo, "REG_OLDMASK": mc + scOldMask,
		"REG_CR2": mc + scCR2,
	})
}
