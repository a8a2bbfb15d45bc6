package syscalls_test

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/fake"
	"github.com/kite-os/kite/syscalls"
	"github.com/kite-os/kite/vfs"
)

// Addresses of the code a script pretends to run: a signal handler and
// its sa_restorer, inside fake.ELF's page.
const (
	handlerAddr  = 0x400100
	restorerAddr = 0x400200
)

// bootFake starts a kernel on the fake platform running fake.ELF as
// pid 1, whose first thread runs the script that script(k) returns.
func bootFake(t *testing.T, script func(k *kernel.Kernel) fake.Script) *kernel.ThreadGroup {
	t.Helper()
	var p *fake.Platform
	return bootFakePlatform(t, &p, script)
}

// bootFakePlatform is bootFake that also stores the platform in *pp, for
// scripts that add the scripts of the threads they create.
func bootFakePlatform(t *testing.T, pp **fake.Platform, script func(k *kernel.Kernel) fake.Script) *kernel.ThreadGroup {
	t.Helper()
	mf, err := mm.NewMemoryFileSize(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Release)
	ctx := vfs.KernelContext{}
	v := vfs.New()
	ns, err := v.NewMountNamespace(ctx, tmpfs.New(v, tmpfs.Options{Mode: 0o755}), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	f, err := v.OpenAt(ctx, fsc, fsc.Root(), "/prog", unix.O_CREAT|unix.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(ctx, fake.ELF()); err != nil {
		t.Fatal(err)
	}
	f.DecRef(ctx)
	p := fake.New()
	*pp = p
	k, err := kernel.New(kernel.Config{Platform: p, MemoryFile: mf, VFS: v, Table: syscalls.NewTable()})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(script(k))
	tg, err := k.StartInit(kernel.ProcessArgs{
		Filename: "/prog", Argv: []string{"prog"},
		FDTable: vfs.NewFDTable(), FSContext: fsc, Credentials: auth.New(0, 0, nil), MountNamespace: ns,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// waitExit waits for tg to end and returns its status.
func waitExit(t *testing.T, tg *kernel.ThreadGroup) kernel.WaitStatus {
	t.Helper()
	select {
	case <-tg.Done():
		return tg.ExitStatus()
	case <-time.After(30 * time.Second):
		t.Fatal("the scripted process did not exit")
		return 0
	}
}

// errno returns the errno a system call result encodes, or 0.
func errno(r uintptr) unix.Errno {
	if int64(r) < 0 && int64(r) > -4096 {
		return unix.Errno(-int64(r))
	}
	return 0
}

// sigaction encodes a struct sigaction (kernel layout) for a handler at
// handlerAddr returning through restorerAddr.
func sigaction(flags uint64) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint64(b[0:], handlerAddr)
	binary.LittleEndian.PutUint64(b[8:], flags|linux.SA_RESTORER)
	binary.LittleEndian.PutUint64(b[16:], restorerAddr)
	return b
}

// sigreturn plays the handler's return: `ret` pops sa_restorer, which
// calls rt_sigreturn.
func sigreturn(th *fake.Thread) uintptr {
	r := th.Regs()
	r.Rsp += 8
	r.Rip = restorerAddr
	return th.Syscall(unix.SYS_RT_SIGRETURN)
}

// TestSignalInterruptsBlockedRead blocks a read of an empty pipe, sends a
// signal with a handler, and checks the handler's entry, the registers
// rt_sigreturn restores, and the restart (SA_RESTART: the read runs
// again from its syscall instruction) or EINTR (without).
func TestSignalInterruptsBlockedRead(t *testing.T) {
	for _, restart := range []bool{true, false} {
		reading := make(chan struct{})
		tg := bootFake(t, func(k *kernel.Kernel) fake.Script {
			return func(th *fake.Thread) {
				task := k.TaskByID(1)
				mem := th.Syscall(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
				if errno(mem) != 0 {
					t.Errorf("mmap = %v", errno(mem))
					th.Syscall(unix.SYS_EXIT_GROUP, 1)
				}
				if r := th.Syscall(unix.SYS_PIPE2, mem, 0); r != 0 {
					t.Errorf("pipe2 = %v", errno(r))
				}
				fds := make([]byte, 8)
				task.CopyIn(mem, fds)
				rfd, wfd := uintptr(binary.LittleEndian.Uint32(fds)), uintptr(binary.LittleEndian.Uint32(fds[4:]))
				flags := uint64(0)
				if restart {
					flags = linux.SA_RESTART
				}
				task.CopyOut(mem+64, sigaction(flags))
				if r := th.Syscall(unix.SYS_RT_SIGACTION, uintptr(unix.SIGUSR1), mem+64, 0, 8); r != 0 {
					t.Errorf("rt_sigaction = %v", errno(r))
				}
				readRip := th.Regs().Rip
				close(reading)
				th.Syscall(unix.SYS_READ, rfd, mem+128, 16)
				if r := th.Regs(); r.Rip != handlerAddr || r.Rdi != uint64(unix.SIGUSR1) {
					t.Errorf("after the signal: rip %#x rdi %d, want the handler %#x with SIGUSR1", r.Rip, r.Rdi, handlerAddr)
				}
				sigreturn(th)
				r := th.Regs()
				if restart {
					if r.Rip != readRip || r.Rax != unix.SYS_READ || r.Rdi != uint64(rfd) || r.Rsi != uint64(mem+128) || r.Rdx != 16 {
						t.Errorf("restart: rip %#x (want %#x) rax %d rdi %d rsi %#x rdx %d", r.Rip, readRip, r.Rax, r.Rdi, r.Rsi, r.Rdx)
					}
					task.CopyOut(mem+200, []byte("data"))
					if n := th.Syscall(unix.SYS_WRITE, wfd, mem+200, 4); n != 4 {
						t.Errorf("write = %d", n)
					}
					// Run the read again from its syscall instruction.
					th.Regs().Rip = readRip
					if n := th.Syscall(unix.SYS_READ, rfd, mem+128, 16); n != 4 {
						t.Errorf("restarted read = %d, want 4", int64(n))
					}
				} else if errno(uintptr(r.Rax)) != unix.EINTR || r.Rip != readRip+2 {
					t.Errorf("without SA_RESTART: rax %d rip %#x, want EINTR after the syscall (%#x)", int64(r.Rax), r.Rip, readRip+2)
				}
				th.Syscall(unix.SYS_EXIT_GROUP, 7)
			}
		})
		<-reading
		info := arch.NewKernelSignalInfo(int(unix.SIGUSR1))
		tg.SendGroupSignal(&info)
		if st := waitExit(t, tg); st != kernel.ExitedStatus(7) {
			t.Errorf("SA_RESTART=%v: exit status %#x, want exit 7", restart, st)
		}
	}
}

// TestFaultDelivery takes a SIGSEGV fault with a SA_SIGINFO handler
// installed and checks the handler's arguments and the siginfo the kernel
// wrote; without a handler the fault kills the process.
func TestFaultDelivery(t *testing.T) {
	const faultAddr = 0xdead000
	handled := false
	tg := bootFake(t, func(k *kernel.Kernel) fake.Script {
		return func(th *fake.Thread) {
			task := k.TaskByID(1)
			mem := th.Syscall(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
			task.CopyOut(mem, sigaction(linux.SA_SIGINFO))
			if r := th.Syscall(unix.SYS_RT_SIGACTION, uintptr(unix.SIGSEGV), mem, 0, 8); r != 0 {
				t.Errorf("rt_sigaction = %v", errno(r))
			}
			faultRip := th.Regs().Rip
			th.Fault(platform.Fault{Signo: int32(unix.SIGSEGV), Code: 1 /* SEGV_MAPERR */, Addr: faultAddr})
			r := th.Regs()
			if r.Rip != handlerAddr || r.Rdi != uint64(unix.SIGSEGV) {
				t.Errorf("handler entry: rip %#x rdi %d", r.Rip, r.Rdi)
			}
			si := make([]byte, 128)
			if _, err := task.CopyIn(uintptr(r.Rsi), si); err != nil {
				t.Fatalf("reading siginfo at %#x: %v", r.Rsi, err)
			}
			info, err := arch.DecodeSignalInfo(si)
			if err != nil || info.Signo != int32(unix.SIGSEGV) || info.Code != 1 || info.Addr() != faultAddr {
				t.Errorf("siginfo %+v (addr %#x), %v", info, info.Addr(), err)
			}
			sigreturn(th)
			if r := th.Regs(); r.Rip != faultRip {
				t.Errorf("after rt_sigreturn rip %#x, want the faulting %#x", r.Rip, faultRip)
			}
			handled = true
			// SIG_DFL again: the same fault is fatal.
			task.CopyOut(mem, make([]byte, 32))
			th.Syscall(unix.SYS_RT_SIGACTION, uintptr(unix.SIGSEGV), mem, 0, 8)
			th.Fault(platform.Fault{Signo: int32(unix.SIGSEGV), Code: 1, Addr: faultAddr})
			t.Error("the process survived a fault without a handler")
		}
	})
	st := waitExit(t, tg)
	if !handled {
		t.Error("the handler did not run and return")
	}
	if sig, _, ok := st.Signaled(); !ok || sig != int(unix.SIGSEGV) {
		t.Errorf("exit status %#x, want killed by SIGSEGV", st)
	}
}

// threadFlags are the clone flags of pthread_create.
const threadFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD | unix.CLONE_SYSVSEM

// TestFutexRequeue parks two threads on one futex, moves them to another
// with FUTEX_CMP_REQUEUE, and wakes them there one by one.
func TestFutexRequeue(t *testing.T) {
	const (
		futexWait       = 0
		futexWake       = 1
		futexCmpRequeue = 4
		private         = 128
	)
	var p *fake.Platform
	woken := make(chan uintptr, 2)
	done := false
	tg := bootFakePlatform(t, &p, func(k *kernel.Kernel) fake.Script {
		return func(th *fake.Thread) {
			mem := th.Syscall(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
			f1, f2 := mem, mem+4
			waiter := func(th *fake.Thread) {
				woken <- th.Syscall(unix.SYS_FUTEX, f1, futexWait|private, 0, 0)
				th.Syscall(unix.SYS_EXIT, 0)
			}
			p.Add(waiter, waiter)
			for i := 0; i < 2; i++ {
				stack := mem + 4096 - uintptr(i)*1024
				if r := th.Syscall(unix.SYS_CLONE, threadFlags, stack, 0, 0, 0); errno(r) != 0 || r == 0 {
					t.Errorf("clone = %d", int64(r))
				}
			}
			// Requeue until both threads have been moved: each round
			// moves the ones waiting by then.
			moved := 0
			for moved < 2 {
				r := th.Syscall(unix.SYS_FUTEX, f1, futexCmpRequeue|private, 0, 1<<30, f2, 0)
				if errno(r) != 0 {
					t.Errorf("FUTEX_CMP_REQUEUE = %v", errno(r))
					break
				}
				moved += int(r)
				th.Syscall(unix.SYS_SCHED_YIELD)
			}
			if r := th.Syscall(unix.SYS_FUTEX, f1, futexCmpRequeue|private, 0, 1, f2, 1); errno(r) != unix.EAGAIN {
				t.Errorf("FUTEX_CMP_REQUEUE with a stale value = %d, want EAGAIN", int64(r))
			}
			if r := th.Syscall(unix.SYS_FUTEX, f1, futexWake|private, 1<<30); r != 0 {
				t.Errorf("waking the first futex woke %d after the requeue", r)
			}
			for i := 0; i < 2; i++ {
				if r := th.Syscall(unix.SYS_FUTEX, f2, futexWake|private, 1); r != 1 {
					t.Errorf("wake %d on the second futex = %d, want 1", i, int64(r))
				}
				if r := <-woken; r != 0 {
					t.Errorf("a requeued waiter returned %d, want 0", int64(r))
				}
			}
			done = true
			th.Syscall(unix.SYS_EXIT_GROUP, 0)
		}
	})
	if st := waitExit(t, tg); st != kernel.ExitedStatus(0) || !done {
		t.Errorf("exit status %#x, script done %v", st, done)
	}
}

// TestExitGroupWithBlockedThread ends a process with exit_group while
// another of its threads sleeps in a futex wait: both threads go, and
// the status is exit_group's.
func TestExitGroupWithBlockedThread(t *testing.T) {
	var p *fake.Platform
	waiting := make(chan struct{})
	tg := bootFakePlatform(t, &p, func(k *kernel.Kernel) fake.Script {
		return func(th *fake.Thread) {
			mem := th.Syscall(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
			p.Add(func(th *fake.Thread) {
				close(waiting)
				th.Syscall(unix.SYS_FUTEX, mem, 0|128, 0, 0)
				t.Error("the futex wait returned in a dying process")
			})
			if r := th.Syscall(unix.SYS_CLONE, threadFlags, mem+4096, 0, 0, 0); errno(r) != 0 {
				t.Errorf("clone = %v", errno(r))
			}
			<-waiting
			th.Syscall(unix.SYS_EXIT_GROUP, 3)
		}
	})
	if st := waitExit(t, tg); st != kernel.ExitedStatus(3) {
		t.Errorf("exit status %#x, want exit 3", st)
	}
}
