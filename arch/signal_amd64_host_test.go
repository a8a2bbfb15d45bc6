package arch

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/kite-os/kite/abi/linux"
)

// hostFrameProbe makes the host kernel deliver signals in several
// situations and prints each frame as the handler finds it: the frame's
// address, the handler's siginfo and ucontext arguments, the handler's
// address, the sa_flags used, and the frame's bytes up to the end of the
// xsave area's FP_XSTATE_MAGIC2.
const hostFrameProbe = `
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static const char *volatile tag;
static volatile unsigned long flags;
static char altstack[1 << 16];

static void dump(void *si, void *ucv, void *handler) {
	ucontext_t *uc = ucv;
	uint8_t *frame = (uint8_t *)uc - 8;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t xsize = *(uint32_t *)(fp + 464 + 16);
	uint8_t *end = fp + xsize + 4;
	printf("%s %#lx %#lx %#lx %#lx %#lx ", tag, (unsigned long)frame, (unsigned long)si,
	       (unsigned long)uc, (unsigned long)handler, flags);
	for (uint8_t *p = frame; p < end; p++)
		printf("%02x", *p);
	printf("\n");
}

static void inner(int sig, siginfo_t *si, void *uc) { dump(si, uc, (void *)inner); }

static void outer(int sig, siginfo_t *si, void *uc) {
	dump(si, uc, (void *)outer);
	if (strcmp(tag, "alt") == 0) {
		struct sigaction sa = {0};
		sa.sa_sigaction = inner;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigaction(SIGUSR2, &sa, 0);
		tag = "nested";
		flags = sa.sa_flags;
		kill(getpid(), SIGUSR2);
	}
}

static void install(unsigned long f) {
	struct sigaction sa = {0};
	sa.sa_sigaction = outer;
	sa.sa_flags = f;
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGUSR1, &sa, 0);
	flags = f;
}

int main(void) {
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGHUP);
	sigprocmask(SIG_BLOCK, &m, 0);

	tag = "plain";
	install(SA_SIGINFO);
	kill(getpid(), SIGUSR1);

	tag = "nosiginfo";
	install(0);
	kill(getpid(), SIGUSR1);

	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	sigaltstack(&ss, 0);
	tag = "alt";
	install(SA_SIGINFO | SA_ONSTACK);
	kill(getpid(), SIGUSR1);

	ss.ss_flags = (int)(1u << 31); /* SS_AUTODISARM */
	sigaltstack(&ss, 0);
	tag = "autodisarm";
	install(SA_SIGINFO | SA_ONSTACK);
	kill(getpid(), SIGUSR1);
	fflush(stdout);
	return 0;
}
`

type hostFrame struct {
	tag                        string
	addr, si, uc, handler, flg uint64
	b                          []byte
}

func parseHostFrames(t *testing.T, out string) []hostFrame {
	t.Helper()
	var frames []hostFrame
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 7 {
			t.Fatalf("bad probe line %.80q", line)
		}
		var nums [5]uint64
		for i := range nums {
			v, err := strconv.ParseUint(f[1+i], 0, 64)
			if err != nil {
				t.Fatalf("bad number %q: %v", f[1+i], err)
			}
			nums[i] = v
		}
		b, err := hex.DecodeString(f[6])
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, hostFrame{f[0], nums[0], nums[1], nums[2], nums[3], nums[4], b})
	}
	return frames
}

// TestSignalFrameMatchesHost rebuilds the frames the host kernel built,
// from the state they record, and compares them byte for byte: frame and
// xsave area placement (red zone, alignment, alternate stack entry and
// nesting), uc_flags, uc_stack, sigcontext, siginfo, the xsave software
// bytes and magic2. It then runs rt_sigreturn on each host frame.
func TestSignalFrameMatchesHost(t *testing.T) {
	out := cOutput(t, hostFrameProbe)
	frames := parseHostFrames(t, out)
	tags := map[string]bool{}
	for _, hf := range frames {
		tags[hf.tag] = true
		t.Run(hf.tag, func(t *testing.T) { checkHostFrame(t, hf) })
	}
	for _, want := range []string{"plain", "nosiginfo", "alt", "nested", "autodisarm"} {
		if !tags[want] {
			t.Errorf("no %q frame from the probe", want)
		}
	}
}

func checkHostFrame(t *testing.T, hf hostFrame) {
	le := binary.LittleEndian
	b := hf.b
	uc := b[frameUContext:]
	sc := uc[ucMContext:]
	if hf.uc != hf.addr+frameUContext {
		t.Fatalf("host ucontext at %#x, frame at %#x", hf.uc, hf.addr)
	}

	// The state before delivery, as the frame records it.
	var regs Registers
	for _, g := range sigcontextGPRs {
		*g.reg(&regs) = le.Uint64(sc[g.off:])
	}
	regs.Eflags = le.Uint64(sc[scEFLAGS:])
	regs.Cs = uint64(le.Uint16(sc[scCS:]))
	regs.Ss = uint64(le.Uint16(sc[scSS:]))
	fpAddr := le.Uint64(sc[scFPState:])
	x := b[fpAddr-hf.addr:]
	xsize := int(le.Uint32(x[swXStateSize:]))
	fp := FPState(append([]byte(nil), x[:xsize]...))
	clear(fp[fxSWReserved : fxSWReserved+swReservedLen])
	le.PutUint64(fp[fxSWReserved:], le.Uint64(x[swXFeatures:]))
	info, err := DecodeSignalInfo(b[frameInfo:])
	if err != nil {
		t.Fatal(err)
	}
	d := &SignalDelivery{
		Signo:    int(le.Uint32(b[frameInfo:])),
		Info:     &info,
		Action:   linux.SigAction{Handler: hf.handler, Flags: hf.flg | linux.SA_RESTORER, Restorer: le.Uint64(b)},
		Mask:     linux.SignalSet(le.Uint64(uc[ucSigmask:])),
		AltStack: getSignalStack(uc[ucStack:]),
		FP:       fp,
		Fault: FaultState{
			TrapNo:    le.Uint64(sc[scTrapNo:]),
			ErrorCode: le.Uint64(sc[scErr:]),
			CR2:       le.Uint64(sc[scCR2:]),
		},
	}
	if hf.flg&linux.SA_SIGINFO == 0 {
		d.Signo = 10 // SIGUSR1; the host left the siginfo area alone
	}

	f, err := SetupSignalFrame(&regs, d)
	if err != nil {
		t.Fatalf("SetupSignalFrame: %v", err)
	}
	if uint64(f.Addr) != hf.addr || len(f.Bytes) != len(b) {
		t.Fatalf("frame at %#x+%d, host put it at %#x+%d (sp %#x)", f.Addr, len(f.Bytes), hf.addr, len(b), regs.Rsp)
	}
	if f.Regs.Rsi != hf.si || f.Regs.Rdx != hf.uc || f.Regs.Rip != hf.handler || f.Regs.Rsp != hf.addr {
		t.Errorf("handler registers rsi %#x rdx %#x rip %#x rsp %#x", f.Regs.Rsi, f.Regs.Rdx, f.Regs.Rip, f.Regs.Rsp)
	}
	end := frameInfo
	if hf.flg&linux.SA_SIGINFO != 0 {
		end = RTSigframeSize
	}
	// Linux leaves stack_t's padding and sigcontext's reserved words as
	// the stack had them; kite writes zeros there.
	got := append([]byte(nil), f.Bytes...)
	for _, r := range [][2]int{
		{frameUContext + ucStack + 12, frameUContext + ucStack + 16},
		{frameUContext + ucMContext + scFPState + 8, frameUContext + ucMContext + scSize},
	} {
		copy(got[r[0]:r[1]], b[r[0]:r[1]])
	}
	if !bytes.Equal(got[:end], b[:end]) {
		for i := 0; i < end; i++ {
			if got[i] != b[i] {
				t.Fatalf("frame differs first at byte %d: %#x, host %#x", i, f.Bytes[i], b[i])
			}
		}
	}
	off := fpAddr - hf.addr
	if !bytes.Equal(f.Bytes[off:], b[off:]) {
		for i := off; i < uint64(len(b)); i++ {
			if f.Bytes[i] != b[i] {
				t.Fatalf("xsave area differs first at byte %d: %#x, host %#x", i-off, f.Bytes[i], b[i])
			}
		}
	}
	wantAlt := d.AltStack
	if hf.tag == "autodisarm" {
		wantAlt = DisabledSignalStack
	}
	if f.AltStack != wantAlt {
		t.Errorf("alt stack after delivery %+v, want %+v", f.AltStack, wantAlt)
	}

	// rt_sigreturn from the host's frame gives back the recorded state.
	mem := &fakeMemory{}
	mem.regions = append(mem.regions, memRegion{hf.addr, b})
	at := f.Regs
	at.Rsp = hf.addr + 8
	ret, err := RestoreSignalFrame(&at, f.AltStack, mustLayout(t, fp), mem.copyIn)
	if err != nil {
		t.Fatalf("RestoreSignalFrame: %v", err)
	}
	want := regs
	want.Orig_rax = ^uint64(0)
	want.Eflags = f.Regs.Eflags&^fixEflags | regs.Eflags&fixEflags
	if at != want {
		t.Errorf("restored %+v\nwant %+v", at, want)
	}
	if ret.Mask != d.Mask || ret.AltStack != d.AltStack {
		t.Errorf("restored mask %#x alt %+v", ret.Mask, ret.AltStack)
	}
	if !bytes.Equal(ret.FP[:fxSWReserved], fp[:fxSWReserved]) || !bytes.Equal(ret.FP[FXSaveSize:], fp[FXSaveSize:]) {
		t.Error("restored FP state differs from the frame's")
	}
}
