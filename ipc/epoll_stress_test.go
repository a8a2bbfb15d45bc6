package ipc

import (
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// TestEpollConcurrent runs writers, readers, interest-list changes and
// nested polling at once, under the race detector, and checks that every
// write is eventually seen.
func TestEpollConcurrent(t *testing.T) {
	v := vfs.New()
	ep := newEpoll(t, v)
	defer ep.DecRef(ctx)
	outer := newEpoll(t, v)
	defer outer.DecRef(ctx)
	if err := Ctl(outer, EpollCtlAdd, 100, ep, EpollEvent{Events: unix.POLLIN}); err != nil {
		t.Fatal(err)
	}
	const files, writes = 8, 200
	var efds []*vfs.File
	for i := 0; i < files; i++ {
		f := newEventFD(t, v, 0, EFD_NONBLOCK)
		defer f.DecRef(ctx)
		efds = append(efds, f)
		flags := uint32(unix.POLLIN)
		if i%2 == 1 {
			flags |= EPOLLET
		}
		if err := Ctl(ep, EpollCtlAdd, int32(i), f, EpollEvent{Events: flags, Data: uint64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < files; i++ {
		wg.Add(1)
		go func(f *vfs.File) {
			defer wg.Done()
			for j := 0; j < writes; j++ {
				f.Write(ctx, u64(1))
			}
		}(efds[i])
	}
	stop := make(chan struct{})
	var churn sync.WaitGroup
	churn.Add(2)
	x := newEventFD(t, v, 1, 0)
	defer x.DecRef(ctx)
	go func() { // interest-list changes on a file nobody writes
		defer churn.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			Ctl(ep, EpollCtlAdd, 50, x, EpollEvent{Events: unix.POLLIN})
			Ctl(ep, EpollCtlMod, 50, x, EpollEvent{Events: unix.POLLIN | EPOLLONESHOT})
			Ctl(ep, EpollCtlDel, 50, x, EpollEvent{})
		}
	}()
	go func() { // an outer instance and poll looking at ep
		defer churn.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ep.Readiness(unix.POLLIN)
			EpollOf(outer).Wait(4, nil, nil, func(EpollEvent) bool { return true })
		}
	}()
	var total uint64
	sleep := func(ch <-chan struct{}) error {
		select {
		case <-ch:
			return nil
		case <-time.After(50 * time.Millisecond):
			return unix.ETIMEDOUT
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for total < files*writes {
		if time.Now().After(deadline) {
			t.Fatalf("saw %d of %d writes", total, files*writes)
		}
		var ready []uint64
		EpollOf(ep).Wait(files, nil, sleep, func(e EpollEvent) bool {
			ready = append(ready, e.Data)
			return true
		})
		for _, d := range ready {
			if d >= files {
				continue
			}
			if n, err := readU64(t, efds[d]); err == nil {
				total += n
			}
		}
	}
	close(stop)
	wg.Wait()
	churn.Wait()
}
