package arch

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
)

const siginfoProbe = `
#include <stddef.h>
#include <stdio.h>
#include <asm/signal.h>
#include <asm/siginfo.h>
#define OFF(f) printf("%s %zu\n", #f, offsetof(siginfo_t, f))
#define VAL(c) printf("%s %ld\n", #c, (long)(c))
int main(void) {
	printf("sizeof %zu\n", sizeof(siginfo_t));
	OFF(si_signo); OFF(si_errno); OFF(si_code);
	OFF(si_pid); OFF(si_uid); OFF(si_tid); OFF(si_overrun); OFF(si_value);
	OFF(si_status); OFF(si_utime); OFF(si_stime);
	OFF(si_addr); OFF(si_addr_lsb); OFF(si_lower); OFF(si_upper); OFF(si_pkey);
	OFF(si_perf_data); OFF(si_perf_type); OFF(si_perf_flags);
	OFF(si_band); OFF(si_fd);
	OFF(si_call_addr); OFF(si_syscall); OFF(si_arch);
	VAL(SI_USER); VAL(SI_KERNEL); VAL(SI_QUEUE); VAL(SI_TIMER); VAL(SI_MESGQ);
	VAL(SI_ASYNCIO); VAL(SI_SIGIO); VAL(SI_TKILL); VAL(SI_DETHREAD); VAL(SI_ASYNCNL);
	VAL(ILL_ILLOPC); VAL(ILL_BADSTK); VAL(ILL_BADIADDR); VAL(NSIGILL);
	VAL(FPE_INTDIV); VAL(FPE_FLTSUB); VAL(FPE_FLTUNK); VAL(FPE_CONDTRAP); VAL(NSIGFPE);
	VAL(SEGV_MAPERR); VAL(SEGV_ACCERR); VAL(SEGV_BNDERR); VAL(SEGV_PKUERR);
	VAL(BUS_ADRALN); VAL(BUS_ADRERR); VAL(BUS_OBJERR); VAL(BUS_MCEERR_AR); VAL(BUS_MCEERR_AO); VAL(NSIGBUS);
	VAL(TRAP_BRKPT); VAL(TRAP_TRACE); VAL(TRAP_BRANCH); VAL(TRAP_HWBKPT);
	VAL(CLD_EXITED); VAL(CLD_KILLED); VAL(CLD_DUMPED); VAL(CLD_TRAPPED); VAL(CLD_STOPPED); VAL(CLD_CONTINUED); VAL(NSIGCHLD);
	VAL(POLL_IN); VAL(POLL_OUT); VAL(POLL_MSG); VAL(POLL_ERR); VAL(POLL_PRI); VAL(POLL_HUP); VAL(NSIGPOLL);
	VAL(SYS_SECCOMP);
#ifdef SEGV_CPERR /* NSIGSEGV became 10 with it, in Linux 6.6 */
	VAL(NSIGSEGV);
#endif
#ifdef NSIGTRAP
	VAL(NSIGTRAP);
#endif
	VAL(SIGEV_SIGNAL); VAL(SIGEV_NONE); VAL(SIGEV_THREAD); VAL(SIGEV_THREAD_ID);
	return 0;
}
`

func TestSignalInfoLayoutMatchesC(t *testing.T) {
	got := cValues(t, siginfoProbe)
	checkValues(t, got, map[string]int64{
		"sizeof":   SignalInfoSize,
		"si_signo": 0, "si_errno": 4, "si_code": 8,
		"si_pid": siPID, "si_uid": siUID, "si_tid": siTimerID, "si_overrun": siOverrun,
		"si_value": siValue, "si_status": siStatus, "si_utime": siUTime, "si_stime": siSTime,
		"si_addr": siAddr, "si_addr_lsb": siAddrLSB, "si_lower": siLower, "si_upper": siUpper,
		"si_pkey": siPkey, "si_perf_data": siPerfData, "si_perf_type": siPerfType,
		"si_perf_flags": siPerfFlag, "si_band": siBand, "si_fd": siFD,
		"si_call_addr": siCallAddr, "si_syscall": siSyscall, "si_arch": siArch,

		"SI_USER": linux.SI_USER, "SI_KERNEL": linux.SI_KERNEL, "SI_QUEUE": linux.SI_QUEUE,
		"SI_TIMER": linux.SI_TIMER, "SI_MESGQ": linux.SI_MESGQ, "SI_ASYNCIO": linux.SI_ASYNCIO,
		"SI_SIGIO": linux.SI_SIGIO, "SI_TKILL": linux.SI_TKILL, "SI_DETHREAD": linux.SI_DETHREAD,
		"SI_ASYNCNL": linux.SI_ASYNCNL,
		"ILL_ILLOPC": linux.ILL_ILLOPC, "ILL_BADSTK": linux.ILL_BADSTK,
		"ILL_BADIADDR": linux.ILL_BADIADDR, "NSIGILL": linux.NSIGILL,
		"FPE_INTDIV": linux.FPE_INTDIV, "FPE_FLTSUB": linux.FPE_FLTSUB, "FPE_FLTUNK": linux.FPE_FLTUNK,
		"FPE_CONDTRAP": linux.FPE_CONDTRAP, "NSIGFPE": linux.NSIGFPE,
		"SEGV_MAPERR": linux.SEGV_MAPERR, "SEGV_ACCERR": linux.SEGV_ACCERR,
		"SEGV_BNDERR": linux.SEGV_BNDERR, "SEGV_PKUERR": linux.SEGV_PKUERR,
		"BUS_ADRALN": linux.BUS_ADRALN, "BUS_ADRERR": linux.BUS_ADRERR, "BUS_OBJERR": linux.BUS_OBJERR,
		"BUS_MCEERR_AR": linux.BUS_MCEERR_AR, "BUS_MCEERR_AO": linux.BUS_MCEERR_AO, "NSIGBUS": linux.NSIGBUS,
		"TRAP_BRKPT": linux.TRAP_BRKPT, "TRAP_TRACE": linux.TRAP_TRACE,
		"TRAP_BRANCH": linux.TRAP_BRANCH, "TRAP_HWBKPT": linux.TRAP_HWBKPT,
		"CLD_EXITED": linux.CLD_EXITED, "CLD_KILLED": linux.CLD_KILLED, "CLD_DUMPED": linux.CLD_DUMPED,
		"CLD_TRAPPED": linux.CLD_TRAPPED, "CLD_STOPPED": linux.CLD_STOPPED,
		"CLD_CONTINUED": linux.CLD_CONTINUED, "NSIGCHLD": linux.NSIGCHLD,
		"POLL_IN": linux.POLL_IN, "POLL_OUT": linux.POLL_OUT, "POLL_MSG": linux.POLL_MSG,
		"POLL_ERR": linux.POLL_ERR, "POLL_PRI": linux.POLL_PRI, "POLL_HUP": linux.POLL_HUP,
		"NSIGPOLL":     linux.NSIGPOLL,
		"SYS_SECCOMP":  linux.SYS_SECCOMP,
		"SIGEV_SIGNAL": linux.SIGEV_SIGNAL, "SIGEV_NONE": linux.SIGEV_NONE,
		"SIGEV_THREAD": linux.SIGEV_THREAD, "SIGEV_THREAD_ID": linux.SIGEV_THREAD_ID,
	})
	// Limits that grew in recent Linux releases are checked only where the
	// host's headers are new enough.
	for name, want := range map[string]int64{"NSIGSEGV": linux.NSIGSEGV, "NSIGTRAP": linux.NSIGTRAP} {
		if g, ok := got[name]; ok && g != want {
			t.Errorf("%s: C says %d, Go says %d", name, g, want)
		}
	}
}

func roundTrip(t *testing.T, s SignalInfo) SignalInfo {
	t.Helper()
	b := s.Bytes()
	if len(b) != SignalInfoSize {
		t.Fatalf("Bytes() is %d bytes", len(b))
	}
	d, err := DecodeSignalInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	if d != s {
		t.Fatalf("round trip changed %+v into %+v", s, d)
	}
	if !bytes.Equal(d.Bytes(), b) {
		t.Fatal("re-encoding differs")
	}
	return d
}

func TestSignalInfoConstructors(t *testing.T) {
	k := roundTrip(t, NewKillSignalInfo(int(unix.SIGTERM), linux.SI_USER, 42, 1000))
	if k.Signo != int32(unix.SIGTERM) || k.Code != 0 || k.PID() != 42 || k.UID() != 1000 {
		t.Errorf("kill: %+v", k)
	}
	b := k.Bytes()
	if b[0] != 15 || b[16] != 42 || b[20] != 0xe8 || b[21] != 0x03 {
		t.Errorf("kill bytes: % x", b[:24])
	}

	tm := roundTrip(t, NewTimerSignalInfo(34, 7, 3, 0xdeadbeefcafe))
	if tm.Code != linux.SI_TIMER || tm.TimerID() != 7 || tm.Overrun() != 3 || tm.Value() != 0xdeadbeefcafe {
		t.Errorf("timer: %+v", tm)
	}

	q := roundTrip(t, NewQueueSignalInfo(40, linux.SI_QUEUE, -5, 0xfffffffe, 99))
	if q.Code != -1 || q.PID() != -5 || q.UID() != 0xfffffffe || q.Value() != 99 {
		t.Errorf("queue: %+v", q)
	}
	if q.Bytes()[8] != 0xff || q.Bytes()[11] != 0xff {
		t.Errorf("si_code -1 not encoded as int32: % x", q.Bytes()[8:12])
	}

	c := roundTrip(t, NewChildSignalInfo(linux.CLD_KILLED, 77, 0, int32(unix.SIGKILL), 12, 34))
	if c.Signo != int32(unix.SIGCHLD) || c.Code != linux.CLD_KILLED || c.PID() != 77 ||
		c.Status() != 9 || c.UTime() != 12 || c.STime() != 34 {
		t.Errorf("child: %+v", c)
	}

	f := roundTrip(t, NewFaultSignalInfo(int(unix.SIGSEGV), linux.SEGV_ACCERR, 0x7fff_0000_1234))
	if f.Addr() != 0x7fff_0000_1234 || f.Code != 2 {
		t.Errorf("fault: %+v", f)
	}
	f.SetAddrLSB(12)
	if f.AddrLSB() != 12 || f.Bytes()[24] != 12 {
		t.Errorf("addr_lsb: %d", f.AddrLSB())
	}
	f.SetPkey(5)
	if f.Pkey() != 5 || f.Bytes()[32] != 5 {
		t.Errorf("pkey: %d", f.Pkey())
	}
	f.SetBounds(0x1000, 0x2000)
	if lo, hi := f.Bounds(); lo != 0x1000 || hi != 0x2000 {
		t.Errorf("bounds: %#x %#x", lo, hi)
	}

	s := roundTrip(t, NewSeccompSignalInfo(0x401002, 39, 77))
	if s.Signo != int32(unix.SIGSYS) || s.Code != linux.SYS_SECCOMP || s.Errno != 77 ||
		s.CallAddr() != 0x401002 || s.Syscall() != 39 || s.Arch() != unix.AUDIT_ARCH_X86_64 {
		t.Errorf("sigsys: %+v", s)
	}

	p := roundTrip(t, NewPollSignalInfo(int(unix.SIGIO), linux.POLL_IN, 0x41, 5))
	if p.Band() != 0x41 || p.FD() != 5 || p.Code != linux.POLL_IN {
		t.Errorf("poll: %+v", p)
	}

	kern := roundTrip(t, NewKernelSignalInfo(int(unix.SIGSEGV)))
	if kern.Code != linux.SI_KERNEL || kern.PID() != 0 || kern.Addr() != 0 {
		t.Errorf("kernel: %+v", kern)
	}

	// Everything the constructors fill fits in the kernel's 48 bytes.
	for _, si := range []SignalInfo{k, tm, q, c, f, s, p} {
		for i, v := range si.Bytes()[KernelSignalInfoSize:] {
			if v != 0 {
				t.Errorf("%v: byte %d is %#x", si.Layout(), KernelSignalInfoSize+i, v)
				break
			}
		}
	}
}

func TestDecodeSignalInfoShort(t *testing.T) {
	if _, err := DecodeSignalInfo(make([]byte, SignalInfoSize-1)); err != unix.EINVAL {
		t.Fatalf("short decode: %v", err)
	}
}

func TestSignalInfoLayoutOf(t *testing.T) {
	for _, c := range []struct {
		sig  unix.Signal
		code int32
		want SignalInfoLayout
	}{
		{unix.SIGTERM, linux.SI_USER, LayoutKill},
		{unix.SIGTERM, linux.SI_TKILL, LayoutRT},
		{unix.SIGTERM, linux.SI_QUEUE, LayoutRT},
		{unix.SIGTERM, linux.SI_KERNEL, LayoutKill},
		{unix.SIGALRM, linux.SI_TIMER, LayoutTimer},
		{unix.SIGIO, linux.SI_SIGIO, LayoutPoll},
		{unix.SIGSEGV, linux.SEGV_MAPERR, LayoutFault},
		{unix.SIGSEGV, linux.SEGV_BNDERR, LayoutFaultBndErr},
		{unix.SIGSEGV, linux.SEGV_PKUERR, LayoutFaultPkuErr},
		{unix.SIGSEGV, linux.SI_KERNEL, LayoutKill},
		{unix.SIGBUS, linux.BUS_ADRERR, LayoutFault},
		{unix.SIGBUS, linux.BUS_MCEERR_AR, LayoutFaultMCEErr},
		{unix.SIGTRAP, linux.TRAP_PERF, LayoutFaultPerf},
		{unix.SIGFPE, linux.FPE_INTDIV, LayoutFault},
		{unix.SIGILL, linux.ILL_ILLOPC, LayoutFault},
		{unix.SIGCHLD, linux.CLD_EXITED, LayoutChild},
		{unix.SIGCHLD, 7, LayoutKill},
		{unix.SIGSYS, linux.SYS_SECCOMP, LayoutSys},
		{unix.SIGIO, linux.POLL_HUP, LayoutPoll},
		{unix.SIGUSR1, linux.POLL_IN, LayoutPoll}, // F_SETSIG to another signal
		{unix.SIGUSR1, 7, LayoutKill},
	} {
		if got := SignalInfoLayoutOf(int(c.sig), c.code); got != c.want {
			t.Errorf("layout(%v, %d) = %v, want %v", c.sig, c.code, got, c.want)
		}
	}
}

func TestSignalInfoFromUser(t *testing.T) {
	raw := make([]byte, SignalInfoSize)
	for i := range raw {
		raw[i] = byte(i)
	}
	// A known layout: only the first 48 bytes survive.
	si := NewQueueSignalInfo(40, linux.SI_QUEUE, 1, 2, 3)
	si.Encode(raw)
	s, err := SignalInfoFromUser(raw)
	if err != nil {
		t.Fatal(err)
	}
	b := s.Bytes()
	if !bytes.Equal(b[:KernelSignalInfoSize], raw[:KernelSignalInfoSize]) {
		t.Error("head changed")
	}
	if !bytes.Equal(b[KernelSignalInfoSize:], make([]byte, SignalInfoSize-KernelSignalInfoSize)) {
		t.Error("tail of a known layout not cleared")
	}

	// An unknown code with a non-zero tail is E2BIG.
	unknown := SignalInfo{Signo: 40, Code: -20}
	unknown.Fields[100] = 1
	if _, err := SignalInfoFromUser(unknown.Bytes()); err != unix.E2BIG {
		t.Errorf("unknown code, dirty tail: %v", err)
	}
	// ... and with a clean tail it passes through whole.
	unknown.Fields[100] = 0
	unknown.Fields[20] = 9
	s, err = SignalInfoFromUser(unknown.Bytes())
	if err != nil || s != unknown {
		t.Errorf("unknown code, clean tail: %v %+v", err, s)
	}
	if _, err := SignalInfoFromUser(raw[:10]); err != unix.EINVAL {
		t.Errorf("short: %v", err)
	}
}

func TestKnownSignalInfoLayout(t *testing.T) {
	for _, c := range []struct {
		sig  unix.Signal
		code int32
		want bool
	}{
		{unix.SIGUSR1, linux.SI_KERNEL, true},
		{unix.SIGUSR1, linux.SI_USER, true},
		{unix.SIGUSR1, linux.SI_DETHREAD, true},
		{unix.SIGUSR1, -8, false},
		{unix.SIGUSR1, linux.SI_ASYNCNL, true},
		{unix.SIGUSR1, linux.NSIGPOLL, true},
		{unix.SIGUSR1, linux.NSIGPOLL + 1, false},
		{unix.SIGSEGV, linux.NSIGSEGV, true},
		{unix.SIGSEGV, linux.NSIGSEGV + 1, false},
		{unix.SIGCHLD, linux.CLD_CONTINUED, true},
		{unix.SIGSYS, 3, false},
	} {
		if got := KnownSignalInfoLayout(int(c.sig), c.code); got != c.want {
			t.Errorf("known(%v, %d) = %v, want %v", c.sig, c.code, got, c.want)
		}
	}
}
