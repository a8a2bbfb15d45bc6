package arch

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
)

// fakeMemory is application memory made of a few regions.
type fakeMemory struct {
	regions []memRegion
}

type memRegion struct {
	base uint64
	data []byte
}

func (m *fakeMemory) add(base uint64, size int) {
	m.regions = append(m.regions, memRegion{base, make([]byte, size)})
}

// find returns the bytes at [addr, addr+n) if one region holds them all.
func (m *fakeMemory) find(addr uint64, n int) []byte {
	for _, r := range m.regions {
		if addr >= r.base && addr-r.base+uint64(n) <= uint64(len(r.data)) {
			off := addr - r.base
			return r.data[off : off+uint64(n)]
		}
	}
	return nil
}

func (m *fakeMemory) copyIn(addr uintptr, dst []byte) (int, error) {
	b := m.find(uint64(addr), len(dst))
	if b == nil {
		return 0, unix.EFAULT
	}
	return copy(dst, b), nil
}

func (m *fakeMemory) copyOut(t *testing.T, addr uintptr, src []byte) {
	t.Helper()
	b := m.find(uint64(addr), len(src))
	if b == nil {
		t.Fatalf("frame at %#x (+%d) outside test memory", addr, len(src))
	}
	copy(b, src)
}

const (
	testFeatures = 0xe7 // x87, SSE, AVX, AVX-512 (as on the test machines)
	testXSize    = 2432
)

// testFP returns a random but loadable FP state in NT_X86_XSTATE form.
func testFP(rng *rand.Rand, size int, features uint64) FPState {
	fp := make(FPState, size)
	rng.Read(fp)
	le := binary.LittleEndian
	le.PutUint32(fp[fxMXCSR:], 0x1f80|uint32(rng.Intn(0x40)))
	le.PutUint32(fp[fxMXCSRMask:], 0xffff)
	clear(fp[fxSWReserved : fxSWReserved+swReservedLen])
	le.PutUint64(fp[fxSWReserved:], features)
	clear(fp[xsaveHeader : xsaveHeader+xsaveHdrSize])
	le.PutUint64(fp[xsaveHdrBV:], features&0xa6) // SSE, AVX, Hi16_ZMM in use
	return fp
}

func testRegs(rng *rand.Rand, sp uint64) Registers {
	r := Registers{
		R15: rng.Uint64(), R14: rng.Uint64(), R13: rng.Uint64(), R12: rng.Uint64(),
		Rbp: rng.Uint64(), Rbx: rng.Uint64(), R11: rng.Uint64(), R10: rng.Uint64(),
		R9: rng.Uint64(), R8: rng.Uint64(), Rax: rng.Uint64(), Rcx: rng.Uint64(),
		Rdx: rng.Uint64(), Rsi: rng.Uint64(), Rdi: rng.Uint64(), Orig_rax: 39,
		Rip: 0x401000 + uint64(rng.Intn(0x1000)), Cs: UserCS,
		Eflags: 0x202 | eflagsDF | eflagsTF | eflagsRF | eflagsCF | eflagsZF | eflagsAC,
		Rsp:    sp, Ss: UserDS, Fs_base: 0x7f0000001000, Gs_base: 0,
	}
	return r
}

func testDelivery(fp FPState, flags uint64) *SignalDelivery {
	info := NewQueueSignalInfo(int(unix.SIGUSR1), linux.SI_QUEUE, 100, 1000, 0xabcdef)
	return &SignalDelivery{
		Signo: int(unix.SIGUSR1),
		Info:  &info,
		Action: linux.SigAction{
			Handler:  0x402000,
			Flags:    flags | linux.SA_RESTORER,
			Restorer: 0x403000,
		},
		Mask:     linux.SigBit(int(unix.SIGUSR2)) | linux.SigBit(int(unix.SIGKILL)),
		AltStack: DisabledSignalStack,
		FP:       fp,
		Fault:    FaultState{TrapNo: 14, ErrorCode: 6, CR2: 0xdead000},
	}
}

// handlerReturn makes regs look like the thread executing rt_sigreturn
// from the restorer: the handler's ret popped pretcode and the handler
// left its own mess in the registers.
func handlerReturn(regs *Registers, f *SignalFrame, rng *rand.Rand) {
	*regs = f.Regs
	regs.Rsp = uint64(f.Addr) + 8
	regs.Rip = f.Regs.Rip + 100
	regs.Rax = unix.SYS_RT_SIGRETURN
	regs.Orig_rax = unix.SYS_RT_SIGRETURN
	regs.Rdi, regs.R11, regs.Rcx = rng.Uint64(), rng.Uint64(), rng.Uint64()
	regs.Eflags = 0x246
}

func TestSignalFrameRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		size     int
		features uint64
	}{{testXSize, testFeatures}, {832, 0x7}, {minXSaveSize, 0x3}} {
		for i := 0; i < 50; i++ {
			mem := &fakeMemory{}
			mem.add(0x7ff000000000, 1<<20)
			sp := uint64(0x7ff000000000+(1<<20)-4096) - uint64(rng.Intn(1000))
			regs := testRegs(rng, sp)
			orig := regs
			fp := testFP(rng, c.size, c.features)
			d := testDelivery(fp, linux.SA_SIGINFO)

			f, err := SetupSignalFrame(&regs, d)
			if err != nil {
				t.Fatalf("SetupSignalFrame: %v", err)
			}
			if regs != orig {
				t.Fatal("SetupSignalFrame modified regs")
			}
			mem.copyOut(t, f.Addr, f.Bytes)

			h := f.Regs
			if h.Rip != d.Action.Handler || h.Rsp != uint64(f.Addr) || h.Rdi != uint64(d.Signo) ||
				h.Rsi != uint64(f.Addr)+frameInfo || h.Rdx != uint64(f.Addr)+frameUContext ||
				h.Rax != 0 || h.Cs != UserCS || h.Ss != UserDS {
				t.Fatalf("handler registers %+v (frame %#x)", h, f.Addr)
			}
			if h.Eflags != orig.Eflags&^(eflagsDF|eflagsTF|eflagsRF) {
				t.Fatalf("handler eflags %#x", h.Eflags)
			}
			if (h.Rsp+8)%16 != 0 {
				t.Fatalf("rsp+8 = %#x not 16-byte aligned", h.Rsp+8)
			}
			fpAddr := binary.LittleEndian.Uint64(f.Bytes[frameUContext+ucMContext+scFPState:])
			if fpAddr%64 != 0 || fpAddr < uint64(f.Addr)+RTSigframeSize {
				t.Fatalf("fpstate at %#x, frame at %#x", fpAddr, f.Addr)
			}
			if end := fpAddr + uint64(c.size) + 4; end > sp-redZoneSize || end+64+16 < sp-redZoneSize {
				t.Fatalf("frame ends at %#x, red zone starts at %#x", end, sp-redZoneSize)
			}
			if uint64(f.Addr)+uint64(len(f.Bytes)) != fpAddr+uint64(c.size)+4 {
				t.Fatalf("Bytes do not reach the end of the FP area")
			}
			si, _ := DecodeSignalInfo(f.Bytes[frameInfo:])
			if si != *d.Info {
				t.Fatalf("siginfo in frame %+v", si)
			}
			if f.AltStack != d.AltStack {
				t.Fatalf("alt stack changed to %+v", f.AltStack)
			}

			handlerReturn(&regs, &f, rng)
			ret, err := RestoreSignalFrame(&regs, f.AltStack, mustLayout(t, fp), mem.copyIn)
			if err != nil {
				t.Fatalf("RestoreSignalFrame: %v", err)
			}
			want := orig
			want.Orig_rax = ^uint64(0)
			want.Eflags = 0x246&^fixEflags | orig.Eflags&fixEflags
			if regs != want {
				t.Fatalf("restored\n%+v\nwant\n%+v", regs, want)
			}
			if regs.Eflags != orig.Eflags {
				t.Fatalf("eflags %#x, was %#x", regs.Eflags, orig.Eflags)
			}
			if !ret.SetMask || ret.Mask != d.Mask&^linux.UnblockableSignals {
				t.Fatalf("mask %#x (set %v)", ret.Mask, ret.SetMask)
			}
			wantFP := fp.Clone()
			binary.LittleEndian.PutUint64(wantFP[xsaveHdrBV:], binary.LittleEndian.Uint64(fp[xsaveHdrBV:])|xfeatureFPSSE)
			if !ret.SetFP || !bytes.Equal(ret.FP, wantFP) {
				t.Fatalf("FP state not restored (set %v, len %d)", ret.SetFP, len(ret.FP))
			}
			if ret.AltStack != d.AltStack {
				t.Fatalf("alt stack %+v", ret.AltStack)
			}
		}
	}
}

func mustLayout(t *testing.T, fp FPState) XSaveLayout {
	t.Helper()
	l, err := XSaveLayoutOf(fp)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestXSaveLayoutOf(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	fp := testFP(rng, testXSize, testFeatures)
	l := mustLayout(t, fp)
	if l.Size != testXSize || l.Features != testFeatures || l.MXCSRMask != 0xffff || l.FrameFPSize() != testXSize+4 {
		t.Fatalf("layout %+v", l)
	}
	binary.LittleEndian.PutUint32(fp[fxMXCSRMask:], 0)
	if l := mustLayout(t, fp); l.MXCSRMask != defaultMXCSRMask {
		t.Fatalf("default mask %#x", l.MXCSRMask)
	}
	if _, err := XSaveLayoutOf(fp[:minXSaveSize-1]); err != unix.EINVAL {
		t.Fatalf("short area: %v", err)
	}
	binary.LittleEndian.PutUint64(fp[fxSWReserved:], 0)
	if _, err := XSaveLayoutOf(fp); err != unix.EINVAL {
		t.Fatalf("no XCR0 in the area: %v", err)
	}
}

func TestSignalFrameContents(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	regs := testRegs(rng, 0x7ff0000ff000)
	regs.Fs, regs.Gs = 0x63, 0x6b
	fp := testFP(rng, testXSize, testFeatures)
	d := testDelivery(fp, 0)
	d.AltStack = linux.SignalStack{Sp: 0x1000, Size: 0x8000, Flags: 0}
	f, err := SetupSignalFrame(&regs, d)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	b := f.Bytes
	uc := b[frameUContext:]
	sc := uc[ucMContext:]
	if le.Uint64(b) != d.Action.Restorer {
		t.Errorf("pretcode %#x", le.Uint64(b))
	}
	if got := le.Uint64(uc[ucFlags:]); got != 7 {
		t.Errorf("uc_flags %#x, want 7", got)
	}
	if got := getSignalStack(uc[ucStack:]); got != d.AltStack {
		t.Errorf("uc_stack %+v", got)
	}
	if le.Uint64(uc[ucSigmask:]) != uint64(d.Mask) || le.Uint64(sc[scOldMask:]) != uint64(d.Mask) {
		t.Errorf("masks %#x %#x", le.Uint64(uc[ucSigmask:]), le.Uint64(sc[scOldMask:]))
	}
	for _, g := range sigcontextGPRs {
		if le.Uint64(sc[g.off:]) != *g.reg(&regs) {
			t.Errorf("sigcontext+%d = %#x, want %#x", g.off, le.Uint64(sc[g.off:]), *g.reg(&regs))
		}
	}
	if le.Uint64(sc[scEFLAGS:]) != regs.Eflags || le.Uint16(sc[scCS:]) != UserCS ||
		le.Uint16(sc[scSS:]) != UserDS || le.Uint16(sc[scFS:]) != 0 || le.Uint16(sc[scGS:]) != 0 {
		t.Errorf("sigcontext flags/segments % x", sc[scEFLAGS:scErr])
	}
	if le.Uint64(sc[scTrapNo:]) != 14 || le.Uint64(sc[scErr:]) != 6 || le.Uint64(sc[scCR2:]) != 0xdead000 {
		t.Errorf("fault fields % x", sc[scErr:scFPState])
	}
	// Without SA_SIGINFO the siginfo area is not written.
	if !bytes.Equal(b[frameInfo:frameInfo+SignalInfoSize], make([]byte, SignalInfoSize)) {
		t.Error("siginfo written without SA_SIGINFO")
	}
	fpOff := le.Uint64(sc[scFPState:]) - uint64(f.Addr)
	x := b[fpOff:]
	if le.Uint32(x[swMagic1:]) != linux.FP_XSTATE_MAGIC1 || le.Uint32(x[swExtSize:]) != testXSize+4 ||
		le.Uint64(x[swXFeatures:]) != testFeatures || le.Uint32(x[swXStateSize:]) != testXSize {
		t.Errorf("fpx_sw_bytes % x", x[fxSWReserved:fxSWReserved+swReservedLen])
	}
	if le.Uint32(x[testXSize:]) != linux.FP_XSTATE_MAGIC2 {
		t.Errorf("magic2 %#x", le.Uint32(x[testXSize:]))
	}
	if bv := le.Uint64(x[xsaveHdrBV:]); bv != le.Uint64(fp[xsaveHdrBV:])|3 {
		t.Errorf("XSTATE_BV %#x", bv)
	}
	if !bytes.Equal(x[:fxSWReserved], fp[:fxSWReserved]) || !bytes.Equal(x[xsaveHdrComp:testXSize], fp[xsaveHdrComp:]) {
		t.Error("xsave area not copied")
	}
}

func TestSignalFrameNeedsRestorer(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	regs := testRegs(rng, 0x7ff0000ff000)
	d := testDelivery(testFP(rng, testXSize, testFeatures), linux.SA_SIGINFO)
	d.Action.Flags &^= linux.SA_RESTORER
	if _, err := SetupSignalFrame(&regs, d); err != unix.EFAULT {
		t.Fatalf("no SA_RESTORER: %v", err)
	}
	d.Action.Flags |= linux.SA_RESTORER
	d.FP = nil
	if _, err := SetupSignalFrame(&regs, d); err != unix.EINVAL {
		t.Fatalf("no FP state: %v", err)
	}
	d.FP = testFP(rng, testXSize, testFeatures)
	regs.Rsp = 1000 // the frame would wrap below address 0
	if _, err := SetupSignalFrame(&regs, d); err != unix.EFAULT {
		t.Fatalf("wrapping stack: %v", err)
	}
}

func TestSignalFrameAltStack(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	const altBase, altSize = 0x10000000, 0x10000
	altTop := uint64(altBase + altSize)
	fp := testFP(rng, testXSize, testFeatures)
	onstack := uint64(linux.SA_SIGINFO | linux.SA_ONSTACK)

	inAlt := func(f SignalFrame) bool {
		return uint64(f.Addr) > altBase && uint64(f.Addr)+uint64(len(f.Bytes)) <= altTop
	}

	// Entering the alternate stack: the frame hangs from its top, no red
	// zone.
	regs := testRegs(rng, 0x7ff0000ff000)
	d := testDelivery(fp, onstack)
	d.AltStack = linux.SignalStack{Sp: altBase, Size: altSize}
	f, err := SetupSignalFrame(&regs, d)
	if err != nil {
		t.Fatal(err)
	}
	if !inAlt(f) || altTop-(uint64(f.Addr)+uint64(len(f.Bytes))) >= 64 {
		t.Fatalf("frame %#x+%d not at the top of the alternate stack", f.Addr, len(f.Bytes))
	}
	if !UsesSignalStack(&d.Action, d.AltStack, regs.Rsp) {
		t.Error("UsesSignalStack = false")
	}
	if f.AltStack != d.AltStack {
		t.Errorf("stack without SS_AUTODISARM changed: %+v", f.AltStack)
	}

	// A handler without SA_ONSTACK stays on the current stack.
	d.Action.Flags &^= linux.SA_ONSTACK
	if f, _ := SetupSignalFrame(&regs, d); inAlt(f) || UsesSignalStack(&d.Action, d.AltStack, regs.Rsp) {
		t.Error("frame on the alternate stack without SA_ONSTACK")
	}
	d.Action.Flags |= linux.SA_ONSTACK

	// Already on the alternate stack (nested signal): below the current
	// sp and its red zone, not at the top again.
	regs.Rsp = altBase + 0x8000
	f, err = SetupSignalFrame(&regs, d)
	if err != nil {
		t.Fatal(err)
	}
	if !inAlt(f) || uint64(f.Addr)+uint64(len(f.Bytes)) > regs.Rsp-redZoneSize {
		t.Fatalf("nested frame %#x+%d, sp %#x", f.Addr, len(f.Bytes), regs.Rsp)
	}
	if UsesSignalStack(&d.Action, d.AltStack, regs.Rsp) {
		t.Error("UsesSignalStack while already on the stack")
	}

	// Nested with no room left: the frame would leave the stack.
	regs.Rsp = altBase + 0x800
	if _, err := SetupSignalFrame(&regs, d); err != unix.EFAULT {
		t.Fatalf("overflowing the alternate stack: %v", err)
	}
	// A stack too small for a frame when entering it.
	regs.Rsp = 0x7ff0000ff000
	d.AltStack.Size = 2048
	if _, err := SetupSignalFrame(&regs, d); err != unix.EFAULT {
		t.Fatalf("alternate stack smaller than a frame: %v", err)
	}

	// SS_AUTODISARM: even at a sp inside the stack the frame goes to the
	// top (Linux never considers the thread on such a stack), uc_stack
	// keeps the armed state, the task's state is disabled, and
	// rt_sigreturn re-arms it.
	mem := &fakeMemory{}
	mem.add(altBase, altSize)
	d.AltStack = linux.SignalStack{Sp: altBase, Size: altSize, Flags: int32(-1 << 31)}
	regs.Rsp = altBase + 0x4000
	f, err = SetupSignalFrame(&regs, d)
	if err != nil {
		t.Fatal(err)
	}
	if !inAlt(f) || altTop-(uint64(f.Addr)+uint64(len(f.Bytes))) >= 64 {
		t.Fatalf("SS_AUTODISARM frame %#x+%d not at the top", f.Addr, len(f.Bytes))
	}
	if f.AltStack != DisabledSignalStack {
		t.Fatalf("after delivery: %+v", f.AltStack)
	}
	if got := getSignalStack(f.Bytes[frameUContext+ucStack:]); got != d.AltStack {
		t.Fatalf("uc_stack %+v", got)
	}
	mem.copyOut(t, f.Addr, f.Bytes)
	orig := regs
	handlerReturn(&regs, &f, rng)
	ret, err := RestoreSignalFrame(&regs, f.AltStack, mustLayout(t, fp), mem.copyIn)
	if err != nil {
		t.Fatal(err)
	}
	if ret.AltStack != d.AltStack || regs.Rsp != orig.Rsp {
		t.Fatalf("after sigreturn: %+v, rsp %#x", ret.AltStack, regs.Rsp)
	}
}

// restoreCase builds a frame in memory and returns what RestoreSignalFrame
// needs, for tests that then corrupt the frame.
func restoreCase(t *testing.T, seed int64) (*fakeMemory, Registers, Registers, SignalFrame, XSaveLayout, FPState) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	mem := &fakeMemory{}
	mem.add(0x7ff000000000, 1<<20)
	regs := testRegs(rng, 0x7ff0000f0000)
	orig := regs
	fp := testFP(rng, testXSize, testFeatures)
	f, err := SetupSignalFrame(&regs, testDelivery(fp, linux.SA_SIGINFO))
	if err != nil {
		t.Fatal(err)
	}
	mem.copyOut(t, f.Addr, f.Bytes)
	handlerReturn(&regs, &f, rng)
	return mem, regs, orig, f, mustLayout(t, fp), fp
}

func frameFP(t *testing.T, mem *fakeMemory, f SignalFrame) []byte {
	t.Helper()
	b := mem.find(uint64(f.Addr)+frameUContext+ucMContext+scFPState, 8)
	return mem.find(binary.LittleEndian.Uint64(b), testXSize+4)
}

func TestRestoreSignalFrameFaults(t *testing.T) {
	mem, regs, _, _, l, _ := restoreCase(t, 10)
	regs.Rsp = 0x1000 // nothing mapped there
	before := regs
	ret, err := RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != unix.EFAULT || ret.SetMask || ret.SetFP || regs != before {
		t.Fatalf("unreadable frame: %v %+v", err, ret)
	}

	// An unreadable fpstate: registers and mask restored, FP reset.
	mem, regs, orig, f, l, _ := restoreCase(t, 11)
	le := binary.LittleEndian
	le.PutUint64(mem.find(uint64(f.Addr)+frameUContext+ucMContext+scFPState, 8), 0x2000)
	ret, err = RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != unix.EFAULT || !ret.SetMask || !ret.SetFP || ret.FP != nil || regs.Rip != orig.Rip {
		t.Fatalf("unreadable fpstate: %v %+v rip %#x", err, ret, regs.Rip)
	}
}

func TestRestoreSignalFrameFPState(t *testing.T) {
	le := binary.LittleEndian

	// fpstate 0: the initial FP state.
	mem, regs, _, f, l, _ := restoreCase(t, 20)
	le.PutUint64(mem.find(uint64(f.Addr)+frameUContext+ucMContext+scFPState, 8), 0)
	ret, err := RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil || !ret.SetFP || ret.FP != nil {
		t.Fatalf("fpstate 0: %v %+v", err, ret)
	}

	// No magic1: only the legacy area counts, the rest is initial.
	mem, regs, _, f, l, fp := restoreCase(t, 21)
	x := frameFP(t, mem, f)
	le.PutUint32(x[swMagic1:], 0)
	ret, err = RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil {
		t.Fatal(err)
	}
	checkFXOnly(t, ret.FP, fp)

	// magic2 missing: the same.
	mem, regs, _, f, l, fp = restoreCase(t, 22)
	x = frameFP(t, mem, f)
	le.PutUint32(x[testXSize:], 0)
	ret, err = RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil {
		t.Fatal(err)
	}
	checkFXOnly(t, ret.FP, fp)

	// xstate_size larger than the CPU's: the same.
	mem, regs, _, f, l, fp = restoreCase(t, 23)
	x = frameFP(t, mem, f)
	le.PutUint32(x[swXStateSize:], testXSize+64)
	ret, err = RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil {
		t.Fatal(err)
	}
	checkFXOnly(t, ret.FP, fp)

	// xfeatures narrowed by the handler: the others become initial.
	mem, regs, _, f, l, fp = restoreCase(t, 24)
	x = frameFP(t, mem, f)
	le.PutUint64(x[swXFeatures:], 0x3)
	ret, err = RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil {
		t.Fatal(err)
	}
	if bv := le.Uint64(ret.FP[xsaveHdrBV:]); bv != 0x3 {
		t.Fatalf("XSTATE_BV %#x after restoring only FP and SSE", bv)
	}

	// xfeatures without SSE or AVX: MXCSR is initial too.
	mem, regs, _, f, l, _ = restoreCase(t, 25)
	x = frameFP(t, mem, f)
	le.PutUint64(x[swXFeatures:], 0x1)
	ret, err = RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil || le.Uint32(ret.FP[fxMXCSR:]) != defaultMXCSR || le.Uint64(ret.FP[xsaveHdrBV:]) != 1 {
		t.Fatalf("x87 only: %v, mxcsr %#x", err, le.Uint32(ret.FP[fxMXCSR:]))
	}

	// States the CPU refuses to load are bad frames, and FP is reset.
	for name, corrupt := range map[string]func(x []byte){
		"reserved MXCSR bits": func(x []byte) { le.PutUint32(x[fxMXCSR:], 0x10000) },
		"unknown feature":     func(x []byte) { le.PutUint64(x[xsaveHdrBV:], 1<<9) },
		"XCOMP_BV":            func(x []byte) { le.PutUint64(x[xsaveHdrComp:], 1<<63|3) },
		"header word 2":       func(x []byte) { le.PutUint64(x[xsaveHdrComp+8:], 1) },
	} {
		mem, regs, _, f, l, _ := restoreCase(t, 26)
		corrupt(frameFP(t, mem, f))
		ret, err := RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
		if err != unix.EINVAL || !ret.SetFP || ret.FP != nil || !ret.SetMask {
			t.Errorf("%s: %v %+v", name, err, ret)
		}
	}

	// Misaligned fpstate pointers.
	for _, c := range []struct {
		delta uint64
		magic bool
	}{{16, true}, {8, false}} {
		mem, regs, _, f, l, _ := restoreCase(t, 27)
		p := mem.find(uint64(f.Addr)+frameUContext+ucMContext+scFPState, 8)
		addr := le.Uint64(p)
		x := frameFP(t, mem, f)
		moved := append([]byte(nil), x...)
		if !c.magic {
			le.PutUint32(moved[swMagic1:], 0)
		}
		copy(mem.find(addr-c.delta, len(moved)), moved)
		le.PutUint64(p, addr-c.delta)
		if _, err := RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn); err != unix.EINVAL {
			t.Errorf("fpstate moved by -%d (xsave %v): %v", c.delta, c.magic, err)
		}
	}

	// An FXSAVE image at a 16-byte boundary is fine.
	mem, regs, _, f, l, fp = restoreCase(t, 28)
	p := mem.find(uint64(f.Addr)+frameUContext+ucMContext+scFPState, 8)
	addr := le.Uint64(p) - 16
	moved := append([]byte(nil), frameFP(t, mem, f)...)
	le.PutUint32(moved[swMagic1:], 0)
	copy(mem.find(addr, len(moved)), moved)
	le.PutUint64(p, addr)
	ret, err = RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil {
		t.Fatal(err)
	}
	checkFXOnly(t, ret.FP, fp)
}

// checkFXOnly checks that got holds the legacy area of fp and nothing else.
func checkFXOnly(t *testing.T, got, fp FPState) {
	t.Helper()
	if len(got) != len(fp) {
		t.Fatalf("FP state of %d bytes", len(got))
	}
	if !bytes.Equal(got[:fxSWReserved], fp[:fxSWReserved]) {
		t.Error("legacy area not restored")
	}
	le := binary.LittleEndian
	if bv := le.Uint64(got[xsaveHdrBV:]); bv != xfeatureFPSSE {
		t.Errorf("XSTATE_BV %#x, want FP|SSE only", bv)
	}
	if le.Uint64(got[fxSWReserved:]) != le.Uint64(fp[fxSWReserved:]) {
		t.Error("software-reserved bytes not in NT_X86_XSTATE form")
	}
}

func TestRestoreSignalFrameRegisters(t *testing.T) {
	le := binary.LittleEndian

	// The handler edits the saved context (as Go's runtime and siglongjmp
	// emulations do): the edits take effect; segments get RPL 3; only
	// FIX_EFLAGS come from the frame.
	mem, regs, _, f, l, _ := restoreCase(t, 30)
	sc := mem.find(uint64(f.Addr)+frameUContext+ucMContext, scSize)
	le.PutUint64(sc[scRIP:], 0x405000)
	le.PutUint64(sc[scRAX:], 0x1234)
	le.PutUint16(sc[scCS:], 0x30)
	le.PutUint16(sc[scSS:], 0x28)
	le.PutUint64(sc[scEFLAGS:], 0xffffffff)
	regs.Eflags = 0x202
	ret, err := RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil {
		t.Fatal(err)
	}
	if regs.Rip != 0x405000 || regs.Rax != 0x1234 || regs.Cs != UserCS || regs.Ss != UserDS ||
		regs.Orig_rax != ^uint64(0) {
		t.Fatalf("registers %+v", regs)
	}
	if regs.Eflags != 0x202|fixEflags {
		t.Fatalf("eflags %#x, want %#x", regs.Eflags, 0x202|fixEflags)
	}
	_ = ret

	// A 32-bit code segment cannot run under kite: bad frame, user
	// selectors kept for the SIGSEGV.
	mem, regs, _, f, l, _ = restoreCase(t, 31)
	sc = mem.find(uint64(f.Addr)+frameUContext+ucMContext, scSize)
	le.PutUint16(sc[scCS:], 0x23)
	if _, err := RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn); err != unix.EINVAL ||
		regs.Cs != UserCS || regs.Ss != UserDS {
		t.Fatalf("32-bit cs: %v %+v", err, regs)
	}

	// Without UC_STRICT_RESTORE_SS a bad ss is replaced, not fatal.
	mem, regs, _, f, l, _ = restoreCase(t, 32)
	uc := mem.find(uint64(f.Addr)+frameUContext, ucSize)
	le.PutUint64(uc[ucFlags:], linux.UC_FP_XSTATE|linux.UC_SIGCONTEXT_SS)
	le.PutUint16(uc[ucMContext+scSS:], 0)
	if _, err := RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn); err != nil || regs.Ss != UserDS {
		t.Fatalf("lax ss: %v ss %#x", err, regs.Ss)
	}
	// With it, a bad ss is a bad frame.
	mem, regs, _, f, l, _ = restoreCase(t, 33)
	uc = mem.find(uint64(f.Addr)+frameUContext, ucSize)
	le.PutUint16(uc[ucMContext+scSS:], 0x63)
	if _, err := RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn); err != unix.EINVAL {
		t.Fatalf("strict bad ss: %v", err)
	}

	// The mask never blocks SIGKILL or SIGSTOP.
	mem, regs, _, f, l, _ = restoreCase(t, 34)
	uc = mem.find(uint64(f.Addr)+frameUContext, ucSize)
	le.PutUint64(uc[ucSigmask:], ^uint64(0))
	ret, err = RestoreSignalFrame(&regs, DisabledSignalStack, l, mem.copyIn)
	if err != nil || ret.Mask != ^linux.UnblockableSignals {
		t.Fatalf("mask %#x: %v", ret.Mask, err)
	}

	// A uc_stack that sigaltstack would refuse leaves the state alone.
	mem, regs, _, f, l, _ = restoreCase(t, 35)
	uc = mem.find(uint64(f.Addr)+frameUContext, ucSize)
	putSignalStack(uc[ucStack:], linux.SignalStack{Sp: 0x1000, Size: 100})
	cur := linux.SignalStack{Sp: 0x5000, Size: 0x4000}
	atReturn := regs
	ret, err = RestoreSignalFrame(&regs, cur, l, mem.copyIn)
	if err != nil || ret.AltStack != cur {
		t.Fatalf("too-small uc_stack: %v %+v", err, ret.AltStack)
	}
	putSignalStack(uc[ucStack:], linux.SignalStack{Sp: 0x1000, Size: 0x10000})
	regs = atReturn
	ret, err = RestoreSignalFrame(&regs, cur, l, mem.copyIn)
	if err != nil || ret.AltStack != (linux.SignalStack{Sp: 0x1000, Size: 0x10000}) {
		t.Fatalf("uc_stack: %v %+v", err, ret.AltStack)
	}
}

func TestSignalStackHelpers(t *testing.T) {
	alt := linux.SignalStack{Sp: 0x1000, Size: 0x1000}
	for _, c := range []struct {
		sp   uint64
		want bool
	}{{0x1000, false}, {0x1001, true}, {0x2000, true}, {0x2001, false}} {
		if got := OnSignalStack(alt, c.sp); got != c.want {
			t.Errorf("OnSignalStack(%#x) = %v", c.sp, got)
		}
	}
	if SignalStackFlags(alt, 0x1800) != linux.SS_ONSTACK || SignalStackFlags(alt, 0x5000) != 0 ||
		SignalStackFlags(linux.SignalStack{}, 0x1800) != linux.SS_DISABLE {
		t.Error("SignalStackFlags")
	}
	armed := alt
	armed.Flags = int32(-1 << 31)
	if OnSignalStack(armed, 0x1800) || SignalStackFlags(armed, 0x1800) != 0 {
		t.Error("SS_AUTODISARM stack considered in use")
	}
	if g := GetSignalStack(armed, 0x1800); g.Flags != int32(-1<<31) || g.Sp != 0x1000 || g.Size != 0x1000 {
		t.Errorf("GetSignalStack(armed) = %+v", g)
	}
	if g := GetSignalStack(alt, 0x1800); g.Flags != linux.SS_ONSTACK {
		t.Errorf("GetSignalStack on stack = %+v", g)
	}
	if g := GetSignalStack(DisabledSignalStack, 0x1800); g.Flags != linux.SS_DISABLE {
		t.Errorf("GetSignalStack(disabled) = %+v", g)
	}

	// SetSignalStack: sigaltstack's errors.
	if _, err := SetSignalStack(alt, DisabledSignalStack, 0x1800, linux.MINSIGSTKSZ); err != unix.EPERM {
		t.Errorf("change while on the stack: %v", err)
	}
	if _, err := SetSignalStack(alt, linux.SignalStack{Flags: 3}, 0x5000, linux.MINSIGSTKSZ); err != unix.EINVAL {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := SetSignalStack(alt, linux.SignalStack{Sp: 0x9000, Size: 100}, 0x5000, linux.MINSIGSTKSZ); err != unix.ENOMEM {
		t.Errorf("small stack: %v", err)
	}
	got, err := SetSignalStack(alt, linux.SignalStack{Sp: 0x9000, Size: 0x800, Flags: linux.SS_DISABLE}, 0x5000, linux.MINSIGSTKSZ)
	if err != nil || got != DisabledSignalStack {
		t.Errorf("disable: %+v %v", got, err)
	}
	got, err = SetSignalStack(linux.SignalStack{}, linux.SignalStack{Sp: 0x9000, Size: 0x8000, Flags: linux.SS_ONSTACK}, 0x5000, linux.MINSIGSTKSZ)
	if err != nil || got != (linux.SignalStack{Sp: 0x9000, Size: 0x8000, Flags: linux.SS_ONSTACK}) {
		t.Errorf("set with SS_ONSTACK: %+v %v", got, err)
	}
	// An unchanged stack is accepted even when it is too small to set
	// (Linux returns before the size check).
	if _, err := SetSignalStack(DisabledSignalStack, DisabledSignalStack, 0, linux.MINSIGSTKSZ); err != nil {
		t.Errorf("no change: %v", err)
	}
	// Changing an SS_AUTODISARM stack while on it is allowed.
	if _, err := SetSignalStack(armed, DisabledSignalStack, 0x1800, linux.MINSIGSTKSZ); err != nil {
		t.Errorf("change armed stack: %v", err)
	}
	if SignalStackAfterDelivery(armed) != DisabledSignalStack || SignalStackAfterDelivery(alt) != alt {
		t.Error("SignalStackAfterDelivery")
	}
}
