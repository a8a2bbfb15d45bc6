package ipc

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/vfs"
)

// fakeSignals is a SignalSource holding a queue of pending signals.
type fakeSignals struct {
	mu      sync.Mutex
	pending []*arch.SignalInfo
	queue   vfs.WaitQueue
}

func (s *fakeSignals) raise(info arch.SignalInfo) {
	s.mu.Lock()
	s.pending = append(s.pending, &info)
	s.mu.Unlock()
	s.queue.Notify(unix.POLLIN)
}

func (s *fakeSignals) DequeueSignal(set linux.SignalSet) *arch.SignalInfo { return s.take(set) }

func (s *fakeSignals) SignalWaitQueue() *vfs.WaitQueue { return &s.queue }

func (s *fakeSignals) take(set linux.SignalSet) *arch.SignalInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, info := range s.pending {
		if set&linux.SigBit(int(info.Signo)) != 0 {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return info
		}
	}
	return nil
}

func (s *fakeSignals) SigTimedWait(set linux.SignalSet, timeout *time.Duration) (*arch.SignalInfo, error) {
	for {
		if info := s.take(set); info != nil {
			return info, nil
		}
		if timeout != nil {
			return nil, unix.EAGAIN
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *fakeSignals) PendingSignals() linux.SignalSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	var set linux.SignalSet
	for _, info := range s.pending {
		set |= linux.SigBit(int(info.Signo))
	}
	return set
}

func TestSignalFDRead(t *testing.T) {
	v := vfs.New()
	src := &fakeSignals{}
	mask := linux.SigBit(int(unix.SIGUSR1)) | linux.SigBit(int(unix.SIGCHLD)) | linux.SigBit(int(unix.SIGKILL))
	f, err := NewSignalFD(ctx, v, src, mask, SFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	if m := SignalFDOf(f).Mask(); m&linux.SigBit(int(unix.SIGKILL)) != 0 {
		t.Fatalf("mask %#x keeps SIGKILL", m)
	}
	buf := make([]byte, 3*SignalfdSiginfoSize)
	if _, err := f.Read(ctx, buf[:127]); err != unix.EINVAL {
		t.Fatalf("short read: %v", err)
	}
	if _, err := f.Read(ctx, buf); err != unix.EAGAIN {
		t.Fatalf("empty read: %v", err)
	}
	src.raise(arch.NewKillSignalInfo(int(unix.SIGUSR1), 0, 42, 1000))
	src.raise(arch.NewKillSignalInfo(int(unix.SIGUSR2), 0, 43, 1000))
	src.raise(arch.NewChildSignalInfo(1, 77, 0, 9, 0, 0))
	if r := f.Readiness(unix.POLLIN | unix.POLLOUT); r != unix.POLLIN {
		t.Fatalf("readiness %#x", r)
	}
	n, err := f.Read(ctx, buf)
	if err != nil || n != 2*SignalfdSiginfoSize {
		t.Fatalf("read = %d, %v", n, err)
	}
	le := binary.LittleEndian
	if signo, pid, uid := le.Uint32(buf[0:]), le.Uint32(buf[12:]), le.Uint32(buf[16:]); signo != uint32(unix.SIGUSR1) || pid != 42 || uid != 1000 {
		t.Fatalf("first record: signo %d pid %d uid %d", signo, pid, uid)
	}
	r := buf[SignalfdSiginfoSize:]
	if signo, code, pid, status := le.Uint32(r[0:]), int32(le.Uint32(r[8:])), le.Uint32(r[12:]), le.Uint32(r[40:]); signo != uint32(unix.SIGCHLD) || code != 1 || pid != 77 || status != 9 {
		t.Fatalf("second record: signo %d code %d pid %d status %d", signo, code, pid, status)
	}
	if r := f.Readiness(unix.POLLIN); r != 0 {
		t.Fatalf("SIGUSR2 is outside the mask, readiness %#x", r)
	}
}

func TestSignalFDWakesPollers(t *testing.T) {
	v := vfs.New()
	src := &fakeSignals{}
	f, err := NewSignalFD(ctx, v, src, linux.SigBit(int(unix.SIGUSR1)), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	ch := make(chan struct{}, 1)
	e := vfs.NewChannelEntry(unix.POLLIN, ch)
	f.EventRegister(e)
	defer f.EventUnregister(e)
	src.raise(arch.NewKillSignalInfo(int(unix.SIGUSR1), 0, 1, 0))
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up for a pending signal")
	}
	buf := make([]byte, SignalfdSiginfoSize)
	if n, err := f.Read(ctx, buf); n != SignalfdSiginfoSize || err != nil {
		t.Fatalf("blocking read = %d, %v", n, err)
	}
}
