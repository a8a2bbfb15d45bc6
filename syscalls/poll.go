package syscalls

import (
	"encoding/binary"
	"math/bits"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// I/O multiplexing: poll, ppoll, select, pselect6. All of them register
// one channel on the wait queues of the files (vfs.File.EventRegister)
// and sleep on it; nothing polls in a loop.

// waitTimeout is a poll or select timeout.
type waitTimeout struct {
	infinite bool
	zero     bool
	deadline time.Time
}

// maxTimeoutSec bounds timeouts so that deadlines do not overflow; a
// longer wait is the same as waiting forever in practice.
const maxTimeoutSec = 1 << 32

func timeoutAfter(sec, nsec int64) waitTimeout {
	if sec == 0 && nsec == 0 {
		return waitTimeout{zero: true}
	}
	sec = min(sec, maxTimeoutSec)
	return waitTimeout{deadline: time.Now().Add(time.Duration(sec)*time.Second + time.Duration(nsec))}
}

// remaining is the time left before the deadline (0 when passed).
func (to waitTimeout) remaining() time.Duration {
	return max(time.Until(to.deadline), 0)
}

// Poll event sets of select (fs/select.c).
const (
	pollInSet  = unix.POLLIN | vfs.PollRdNorm | vfs.PollRdBand | unix.POLLHUP | unix.POLLERR
	pollOutSet = unix.POLLOUT | vfs.PollWrNorm | vfs.PollWrBand | unix.POLLERR
	pollExSet  = unix.POLLPRI
)

// pollItem is one file waited on.
type pollItem struct {
	file *vfs.File // nil: ignored, or not open when nval
	nval bool
	// mask is what the caller wants, POLLERR and POLLHUP included.
	mask  uint32
	ready uint32
}

// release drops the items' file references.
func releaseItems(t *kernel.Task, items []pollItem) {
	for i := range items {
		if items[i].file != nil {
			items[i].file.DecRef(t)
		}
	}
}

// scan fills in the ready events of every item and counts the items with
// some.
func scan(items []pollItem) int {
	n := 0
	for i := range items {
		it := &items[i]
		switch {
		case it.nval:
			it.ready = unix.POLLNVAL
		case it.file == nil:
			it.ready = 0
		default:
			it.ready = it.file.Readiness(it.mask) & it.mask
		}
		if it.ready != 0 {
			n++
		}
	}
	return n
}

// waitReady scans the items and, until one is ready, sleeps on their wait
// queues. It returns the number of ready items, 0 when the timeout
// passes, or ERESTARTNOHAND when a signal interrupts the wait.
func waitReady(t *kernel.Task, items []pollItem, to waitTimeout) (int, error) {
	if n := scan(items); n > 0 || to.zero {
		return n, nil
	}
	ch := make(chan struct{}, 1)
	entries := make([]*vfs.WaitEntry, len(items))
	for i := range items {
		if f := items[i].file; f != nil {
			entries[i] = vfs.NewWakerEntry(items[i].mask, ch, t)
			f.EventRegister(entries[i])
		}
	}
	defer func() {
		for i, e := range entries {
			if e != nil {
				items[i].file.EventUnregister(e)
			}
		}
	}()
	for {
		// Registered before this scan, so no change is missed.
		if n := scan(items); n > 0 {
			return n, nil
		}
		var err error
		if to.infinite {
			err = t.Park(ch)
		} else {
			err = t.ParkTimeout(ch, to.deadline)
		}
		switch err {
		case nil:
		case unix.ETIMEDOUT:
			return scan(items), nil
		default:
			if n := scan(items); n > 0 {
				return n, nil
			}
			return 0, kernel.ERESTARTNOHAND
		}
	}
}

// pollfdSize is sizeof(struct pollfd).
const pollfdSize = 8

// doPoll carries out poll on the nfds struct pollfd at addr.
func doPoll(t *kernel.Task, addr, nfds uintptr, to waitTimeout) (int, error) {
	if uint64(nfds) > t.ThreadGroup().Limits().Get(unix.RLIMIT_NOFILE).Cur {
		return 0, unix.EINVAL
	}
	if !rangeOK(addr, nfds*pollfdSize) {
		return 0, unix.EFAULT
	}
	buf := make([]byte, nfds*pollfdSize)
	if err := copyInFull(t, addr, buf); err != nil {
		return 0, err
	}
	items := make([]pollItem, nfds)
	defer releaseItems(t, items)
	tab := t.FDTable()
	for i := range items {
		fd := int32(getU32(buf, i*pollfdSize))
		if fd < 0 {
			continue
		}
		f, _, err := tab.Get(fd)
		if err != nil {
			items[i].nval = true
			continue
		}
		if f.IsPath() {
			f.DecRef(t)
			items[i].nval = true
			continue
		}
		items[i].file = f
		events := uint32(binary.LittleEndian.Uint16(buf[i*pollfdSize+4:]))
		items[i].mask = events | unix.POLLERR | unix.POLLHUP
	}
	n, err := waitReady(t, items, to)
	for i := range items {
		putU16(buf, i*pollfdSize+6, uint16(items[i].ready))
	}
	if cerr := copyOutFull(t, addr, buf); cerr != nil {
		return 0, cerr
	}
	return n, err
}

func pollSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	ms := int64(int32(a[2]))
	to := waitTimeout{infinite: true}
	if ms >= 0 {
		to = timeoutAfter(ms/1000, ms%1000*1e6)
	}
	return pollRestartable(t, a[0], uintptr(uint32(a[1])), to)
}

// pollRestartable runs poll; a wait with a timeout that a signal
// interrupts goes on through restart_syscall with the same deadline when
// no handler runs (Linux's do_restart_poll), and fails with EINTR when one
// does.
func pollRestartable(t *kernel.Task, addr, nfds uintptr, to waitTimeout) (uintptr, error) {
	n, err := doPoll(t, addr, nfds, to)
	if err == kernel.ERESTARTNOHAND && !to.infinite && !to.zero {
		t.SetRestartBlock(func(t *kernel.Task) (uintptr, error) {
			return pollRestartable(t, addr, nfds, to)
		})
		return 0, kernel.ERESTART_RESTARTBLOCK
	}
	return uintptr(n), err
}

// setWaitMask reads the sigset argument of ppoll or pselect6 (addr 0:
// none) and installs it until the call returns to user mode; a handler
// that interrupts the wait runs with it and its frame saves the old mask
// (Linux's set_user_sigmask).
func setWaitMask(t *kernel.Task, addr, size uintptr) error {
	if addr == 0 {
		return nil
	}
	if size != linux.SignalSetSize {
		return unix.EINVAL
	}
	m, err := copyInU64(t, addr)
	if err != nil {
		return err
	}
	t.SetTemporarySignalMask(linux.SignalSet(m))
	return nil
}

// writeBackTimeout stores the time left in the caller's timeval or
// timespec, as poll_select_finish: not for a zero timeout; a fault turns
// a restart into EINTR (the timeout can no longer be trusted).
func writeBackTimeout(t *kernel.Task, addr uintptr, to waitTimeout, timeval bool, err error) error {
	if addr == 0 || to.zero || to.infinite {
		return err
	}
	rem := to.remaining()
	var b [16]byte
	putU64(b[:], 0, uint64(rem/time.Second))
	if timeval {
		putU64(b[:], 8, uint64(rem%time.Second/time.Microsecond))
	} else {
		putU64(b[:], 8, uint64(rem%time.Second))
	}
	if copyOutFull(t, addr, b[:]) != nil && err == kernel.ERESTARTNOHAND {
		return unix.EINTR
	}
	return err
}

func ppoll(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	to := waitTimeout{infinite: true}
	if a[2] != 0 {
		sec, nsec, err := copyInTimespec(t, a[2])
		if err != nil {
			return 0, err
		}
		to = timeoutAfter(sec, nsec)
	}
	if err := setWaitMask(t, a[3], a[4]); err != nil {
		return 0, err
	}
	n, err := doPoll(t, a[0], uintptr(uint32(a[1])), to)
	err = writeBackTimeout(t, a[2], to, false, err)
	return uintptr(n), err
}

// fdSet is one select fd set as 64-bit words.
type fdSet []uint64

func copyInFDSet(t *kernel.Task, addr uintptr, words int) (fdSet, error) {
	s := make(fdSet, words)
	if addr == 0 {
		return s, nil
	}
	b := make([]byte, 8*words)
	if err := copyInFull(t, addr, b); err != nil {
		return nil, err
	}
	for i := range s {
		s[i] = getU64(b, 8*i)
	}
	return s, nil
}

func copyOutFDSet(t *kernel.Task, addr uintptr, s fdSet) error {
	if addr == 0 {
		return nil
	}
	b := make([]byte, 8*len(s))
	for i, w := range s {
		putU64(b, 8*i, w)
	}
	return copyOutFull(t, addr, b)
}

// doSelect carries out select on n fds and the three sets at in, out and
// ex (core_sys_select).
func doSelect(t *kernel.Task, n int32, in, out, ex uintptr, to waitTimeout) (int, error) {
	if n < 0 {
		return 0, unix.EINVAL
	}
	tab := t.FDTable()
	n = min(n, tab.MaxFDs())
	words := int(n+63) / 64
	var sets [3]fdSet
	for i, addr := range []uintptr{in, out, ex} {
		s, err := copyInFDSet(t, addr, words)
		if err != nil {
			return 0, err
		}
		sets[i] = s
	}
	// Bits past n in the last word are not looked at.
	if r := n % 64; r != 0 {
		for i := range sets {
			sets[i][words-1] &= 1<<r - 1
		}
	}
	var items []pollItem
	var fds []int32
	defer func() { releaseItems(t, items) }()
	for w := 0; w < words; w++ {
		all := sets[0][w] | sets[1][w] | sets[2][w]
		for all != 0 {
			b := bits.TrailingZeros64(all)
			all &^= 1 << b
			fd := int32(w*64 + b)
			f, _, err := tab.Get(fd)
			if err != nil {
				return 0, unix.EBADF
			}
			// Only the sets fd is in count (do_select): an fd asked
			// for reading that is only writable (a terminal, an
			// eventfd) is not ready.
			var mask uint32
			for k, set := range []uint32{pollInSet, pollOutSet, pollExSet} {
				if sets[k][w]&(1<<b) != 0 {
					mask |= set
				}
			}
			it := pollItem{file: f, mask: mask}
			if f.IsPath() {
				// Open, but select cannot poll it: never ready.
				f.DecRef(t)
				it = pollItem{}
			}
			items = append(items, it)
			fds = append(fds, fd)
		}
	}
	if _, err := waitReady(t, items, to); err != nil {
		return 0, err
	}
	var res [3]fdSet
	for i := range res {
		res[i] = make(fdSet, words)
	}
	count := 0
	for i, it := range items {
		fd := fds[i]
		w, bit := fd/64, uint64(1)<<(fd%64)
		for k, set := range []uint32{pollInSet, pollOutSet, pollExSet} {
			if sets[k][w]&bit != 0 && it.ready&set != 0 {
				res[k][w] |= bit
				count++
			}
		}
	}
	for i, addr := range []uintptr{in, out, ex} {
		if err := copyOutFDSet(t, addr, res[i]); err != nil {
			return 0, err
		}
	}
	return count, nil
}

func selectSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	to := waitTimeout{infinite: true}
	if a[4] != 0 {
		var b [16]byte
		if err := copyInFull(t, a[4], b[:]); err != nil {
			return 0, err
		}
		sec, usec := int64(getU64(b[:], 0)), int64(getU64(b[:], 8))
		sec += usec / 1e6
		nsec := usec % 1e6 * 1e3
		if sec < 0 || nsec < 0 {
			return 0, unix.EINVAL
		}
		to = timeoutAfter(sec, nsec)
	}
	n, err := doSelect(t, int32(a[0]), a[1], a[2], a[3], to)
	err = writeBackTimeout(t, a[4], to, true, err)
	return uintptr(n), err
}

func pselect6(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	to := waitTimeout{infinite: true}
	if a[4] != 0 {
		sec, nsec, err := copyInTimespec(t, a[4])
		if err != nil {
			return 0, err
		}
		to = timeoutAfter(sec, nsec)
	}
	if a[5] != 0 {
		var b [16]byte
		if err := copyInFull(t, a[5], b[:]); err != nil {
			return 0, err
		}
		if err := setWaitMask(t, uintptr(getU64(b[:], 0)), uintptr(getU64(b[:], 8))); err != nil {
			return 0, err
		}
	}
	n, err := doSelect(t, int32(a[0]), a[1], a[2], a[3], to)
	err = writeBackTimeout(t, a[4], to, false, err)
	return uintptr(n), err
}
