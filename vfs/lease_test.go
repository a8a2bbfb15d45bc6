package vfs_test

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeOwner records the break signals a lease holder gets.
type fakeOwner struct{ sent chan int32 }

func (o fakeOwner) SendIO(sig int, fd int32, reason int32) { o.sent <- fd }
func (o fakeOwner) SendURG() bool                          { return false }
func (o fakeOwner) Who() (int, int32)                      { return 1, 1 }
func (o fakeOwner) Alive() bool                            { return true }

// TestLeaseBreakTime: a holder that never answers loses its lease after
// lease-break-time seconds, and the opener then gets the file (the C
// tests cannot wait 45 s, nor change the host's setting).
func TestLeaseBreakTime(t *testing.T) {
	e := newEnv(t)
	e.write("/f", "x")
	e.v.SetLeaseBreakTime(1)
	if got := e.v.LeaseBreakTime(); got != 1 {
		t.Fatalf("LeaseBreakTime = %d", got)
	}
	holder, err := e.open("/f", unix.O_RDONLY, 0)
	e.must(err)
	o := fakeOwner{sent: make(chan int32, 4)}
	e.must(e.v.SetLease(root, holder, 7, unix.F_RDLCK, o))
	start := time.Now()
	w, err := e.open("/f", unix.O_WRONLY, 0)
	e.must(err)
	w.DecRef(root)
	if d := time.Since(start); d < time.Second {
		t.Errorf("the open waited %v, less than lease-break-time", d)
	}
	select {
	case fd := <-o.sent:
		if fd != 7 {
			t.Errorf("break signal for fd %d, want 7", fd)
		}
	default:
		t.Error("no break signal")
	}
	if got := e.v.GetLease(holder); got != unix.F_UNLCK {
		t.Errorf("lease after the break time: %d, want F_UNLCK", got)
	}
	wantErr(t, "F_UNLCK of the timed-out lease", e.v.SetLease(root, holder, 7, unix.F_UNLCK, o), unix.EAGAIN)

	// leases-enable keeps any int written (1 by default); any value but
	// 0 leaves leases on, 0 allows no new ones.
	if got := e.v.LeasesEnable(); got != 1 {
		t.Errorf("leases-enable by default: %d, want 1", got)
	}
	e.v.SetLeasesEnable(5)
	if got := e.v.LeasesEnable(); got != 5 {
		t.Errorf("leases-enable after writing 5: %d", got)
	}
	if err := e.v.SetLease(root, holder, 7, unix.F_RDLCK, o); err != nil {
		t.Errorf("F_RDLCK with leases-enable 5: %v", err)
	}
	if err := e.v.SetLease(root, holder, 7, unix.F_UNLCK, o); err != nil {
		t.Errorf("F_UNLCK: %v", err)
	}
	e.v.SetLeasesEnable(0)
	wantErr(t, "F_RDLCK with leases disabled", e.v.SetLease(root, holder, 7, unix.F_RDLCK, o), unix.EINVAL)
	if got := e.v.LeasesEnable(); got != 0 {
		t.Errorf("leases-enable after writing 0: %d", got)
	}
	holder.DecRef(root)
}
