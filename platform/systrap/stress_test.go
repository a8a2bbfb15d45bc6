package systrap

import (
	"fmt"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

// TestStress runs several Contexts through several address spaces at once,
// with mapping changes, interrupts and address spaces replaced under them,
// and checks that every Switch either reports a sane event or fails
// because its address space was released, and that nothing is left over.
func TestStress(t *testing.T) {
	e := newEnv(t)
	// loop: mov eax, 39; syscall; jmp loop
	copy(e.mem[codeOff:], cat(insMovEaxImm(39), insSyscall, insJmpRel8(-9)))
	const nAS, nCtx, rounds = 3, 6, 1500
	var nSys, nInt, nErr, nRepl atomic.Int64
	var mu sync.Mutex
	spaces := make([]platform.AddressSpace, nAS)
	newAS := func() platform.AddressSpace {
		as, err := e.p.NewAddressSpace()
		if err != nil {
			t.Error(err)
			return nil
		}
		if err := as.MapFile(codeAddr, codeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
			t.Error(err)
		}
		return as
	}
	for i := range spaces {
		spaces[i] = newAS()
	}
	stop := make(chan struct{})
	var replacer sync.WaitGroup
	replacer.Add(1)
	go func() {
		defer replacer.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			i := rand.Intn(nAS)
			as := newAS()
			mu.Lock()
			old := spaces[i]
			spaces[i] = as
			mu.Unlock()
			nRepl.Add(1)
			old.Release()
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, nCtx)
	ctxs := make(chan platform.Context, nCtx)
	for g := 0; g < nCtx; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c, err := e.p.NewContext()
			if err != nil {
				errs <- err
				return
			}
			defer c.Release()
			ctxs <- c
			for i := 0; i < rounds; i++ {
				mu.Lock()
				as := spaces[rand.Intn(nAS)]
				mu.Unlock()
				r := startRegs(codeAddr)
				ev, _, err := c.Switch(as, &r)
				if err != nil {
					nErr.Add(1)
					continue // released under us
				}
				if ev == platform.EventInterrupt {
					nInt.Add(1)
				} else {
					nSys.Add(1)
				}
				if ev == platform.EventSyscall && r.Orig_rax != 39 {
					errs <- fmt.Errorf("context %d: syscall %d", g, r.Orig_rax)
					return
				}
				if ev == platform.EventFault {
					errs <- fmt.Errorf("context %d: unexpected fault", g)
					return
				}
				if i%10 == 0 {
					as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ)
				}
			}
		}(g)
	}
	// Interrupt whoever is running, all the while.
	var all []platform.Context
	for i := 0; i < nCtx; i++ {
		select {
		case c := <-ctxs:
			all = append(all, c)
		case <-time.After(10 * time.Second):
			t.Fatal("contexts did not start")
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
loop:
	for {
		select {
		case <-done:
			break loop
		case <-time.After(200 * time.Microsecond):
			all[rand.Intn(len(all))].Interrupt()
		}
	}
	close(stop)
	replacer.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, as := range spaces {
		as.Release()
	}
	e.as.Release()
	e.p.Close()
	t.Logf("%d syscalls, %d interrupts, %d failed switches, %d replacements", nSys.Load(), nInt.Load(), nErr.Load(), nRepl.Load())
	if nSys.Load() < nCtx*rounds/4 {
		t.Errorf("only %d of %d switches ran", nSys.Load(), nCtx*rounds)
	}
	if err := peekChildren(); err != unix.ECHILD {
		t.Fatalf("waitid after: %v, want ECHILD", err)
	}
}
