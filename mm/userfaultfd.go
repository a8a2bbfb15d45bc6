package mm

import (
	"errors"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Userfault is a userfaultfd's context: the address space whose VMAs it
// was registered on (the creator's), the page faults waiting to be read,
// and the faulting threads waiting for them to be resolved. Only missing
// pages of private anonymous memory are handled (UFFDIO_REGISTER_MODE_MISSING).
//
// The kernel's own accesses to such a page (read(2) into it, write(2)
// from it, a futex word in it) raise the fault as the application's do,
// and the access waits until it is resolved, as Linux's; with
// UFFD_USER_MODE_ONLY they fail with EFAULT instead.
//
// A faulting thread never waits holding an address space's lock:
// HandleFault (or the preparation of pages for a kernel access,
// prepareLocked) queues the fault under m.mu and returns a
// *UserfaultWait, and the thread waits for it after the lock is released.
type Userfault struct {
	m *MemoryManager

	// userModeOnly: UFFD_USER_MODE_ONLY; kernel accesses to missing
	// pages are EFAULT rather than userfaults.
	userModeOnly bool

	// notify is called, without mu, when a fault is queued or the
	// context is released (poll and read wake-ups).
	notify func()

	// mu guards the fields below. Lock order: MemoryManager.mu, then
	// Userfault.mu.
	mu sync.Mutex
	// unread are the faults no read has returned yet, in order.
	unread []*UserfaultWait
	// waiting are the faults whose threads wait, read or not.
	waiting []*UserfaultWait
	// released: the file was closed; faults are no longer sent.
	released bool
}

// NewUserfault returns a context on m's address space; notify is called
// when a fault arrives. userModeOnly (UFFD_USER_MODE_ONLY) leaves the
// kernel's accesses out: they fail with EFAULT on a missing page.
func NewUserfault(m *MemoryManager, userModeOnly bool, notify func()) *Userfault {
	return &Userfault{m: m, userModeOnly: userModeOnly, notify: notify}
}

// UserfaultWait is returned (as an error) by HandleFault for a fault that
// a userfaultfd must resolve: the faulting thread waits on Done, then
// lets the access retry.
type UserfaultWait struct {
	// Addr is the faulting address, page-aligned as Linux reports it
	// without UFFD_FEATURE_EXACT_ADDRESS.
	Addr uintptr
	// Write: the access was a write (UFFD_PAGEFAULT_FLAG_WRITE). Only
	// the kernel's accesses know it: the platform does not tell an
	// application's write fault from a read.
	Write bool
	done  chan struct{}
	u     *Userfault
}

func (*UserfaultWait) Error() string { return "page fault handled by a userfaultfd" }

// Done is closed when the fault is resolved (UFFDIO_COPY, ZEROPAGE, WAKE,
// UNREGISTER, or the userfaultfd's release).
func (w *UserfaultWait) Done() <-chan struct{} { return w.done }

// Abandon removes a fault whose thread stopped waiting (a signal): the
// retried access faults, and is sent, again.
func (w *UserfaultWait) Abandon() {
	u := w.u
	u.mu.Lock()
	defer u.mu.Unlock()
	u.unread = removeWait(u.unread, w)
	u.waiting = removeWait(u.waiting, w)
}

func removeWait(ws []*UserfaultWait, w *UserfaultWait) []*UserfaultWait {
	for i, x := range ws {
		if x == w {
			return append(ws[:i], ws[i+1:]...)
		}
	}
	return ws
}

// Next returns the address of the oldest fault not yet read, and
// whether it was a write, and marks it read; ok is false if there is
// none.
func (u *Userfault) Next() (addr uintptr, write, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.unread) == 0 {
		return 0, false, false
	}
	w := u.unread[0]
	u.unread = u.unread[1:]
	return w.Addr, w.Write, true
}

// Pending reports whether a fault waits to be read.
func (u *Userfault) Pending() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.unread) > 0
}

// queueLocked queues a fault at page.
//
// Preconditions: u.m.mu is held for writing.
func (u *Userfault) queueLocked(page uintptr, write bool) *UserfaultWait {
	w := &UserfaultWait{Addr: page, Write: write, done: make(chan struct{}), u: u}
	u.mu.Lock()
	u.unread = append(u.unread, w)
	u.waiting = append(u.waiting, w)
	u.mu.Unlock()
	return w
}

// Wake resolves the faults waiting in [start, end).
func (u *Userfault) Wake(start, end uintptr) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.wakeLocked(start, end)
}

func (u *Userfault) wakeLocked(start, end uintptr) {
	keep := u.waiting[:0]
	for _, w := range u.waiting {
		if w.Addr >= start && w.Addr < end {
			close(w.done)
			u.unread = removeWait(u.unread, w)
			continue
		}
		keep = append(keep, w)
	}
	u.waiting = keep
}

// Release unregisters every VMA of the context and wakes every waiting
// fault (the last close of the userfaultfd).
func (u *Userfault) Release() {
	m := u.m
	m.mu.Lock()
	for v := m.vmas.head; v != nil; v = v.next {
		if v.uffd == u {
			v.uffd, v.uffdMissing = nil, false
		}
	}
	m.vmas.mergeRange(0, ^uintptr(0))
	u.mu.Lock()
	u.released = true
	u.wakeLocked(0, ^uintptr(0))
	u.mu.Unlock()
	m.unlock()
}

// Register registers [start, start+length) with u for missing pages: it
// must be covered by private anonymous VMAs without holes (EINVAL), none
// registered with another context (EBUSY).
func (u *Userfault) Register(start, length uintptr) error {
	end, err := u.userRange(start, length)
	if err != nil {
		return err
	}
	m := u.m
	m.mu.Lock()
	defer m.unlock()
	if m.coveredEndLocked(start, end) < end {
		return unix.EINVAL
	}
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		if !v.anonymous() || v.shared {
			return unix.EINVAL // only private anonymous memory is supported
		}
		if v.uffd != nil && v.uffd != u {
			return unix.EBUSY
		}
	}
	m.changeLocked(start, end, func(v *vma) { v.uffd, v.uffdMissing = u, true })
	return nil
}

// Unregister unregisters [start, start+length) from any context and wakes
// the faults waiting there.
func (u *Userfault) Unregister(start, length uintptr) error {
	end, err := u.userRange(start, length)
	if err != nil {
		return err
	}
	m := u.m
	m.mu.Lock()
	defer m.unlock()
	if m.coveredEndLocked(start, end) < end {
		return unix.EINVAL
	}
	var ctxs []*Userfault
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		if v.uffd != nil {
			ctxs = append(ctxs, v.uffd)
		}
	}
	m.changeLocked(start, end, func(v *vma) { v.uffd, v.uffdMissing = nil, false })
	for _, c := range ctxs {
		c.Wake(start, end)
	}
	return nil
}

// userRange checks a range given to a userfaultfd ioctl: page-aligned
// start and length, not empty, not wrapping, within the address space.
func (u *Userfault) userRange(start, length uintptr) (uintptr, error) {
	if start&pageMask != 0 || length&pageMask != 0 || length == 0 {
		return 0, unix.EINVAL
	}
	end, ok := rangeEnd(start, length)
	if !ok || start < minAddr || end > u.m.maxAddr {
		return 0, unix.EINVAL
	}
	return end, nil
}

// Fill installs pages at [dst, dst+length) of the registered range:
// copies of src (UFFDIO_COPY) or, with src nil, zeroed pages
// (UFFDIO_ZEROPAGE). It returns how many bytes it installed: it stops at
// a page that is present (EEXIST) or outside memory registered with u
// (ENOENT). Unless dontWake, the faults waiting in the range are woken.
// wp asks for the pages to be write-protected (UFFDIO_COPY_MODE_WP),
// which needs a range registered for write-protection: none is (only
// missing-page registration is implemented), so it is EINVAL for
// registered memory, as Linux answers for a range registered only for
// missing pages.
func (u *Userfault) Fill(dst uintptr, src []byte, length uintptr, dontWake, wp bool) (uintptr, error) {
	end, err := u.userRange(dst, length)
	if err != nil {
		return 0, err
	}
	m := u.m
	m.mu.Lock()
	done, err := m.fillUserfaultLocked(u, dst, end, src, wp)
	m.unlock()
	if !dontWake && done > 0 {
		u.Wake(dst, dst+done)
	}
	return done, err
}

// Preconditions: m.mu is held for writing.
func (m *MemoryManager) fillUserfaultLocked(u *Userfault, dst, end uintptr, src []byte, wp bool) (uintptr, error) {
	for a := dst; a < end; a += pageSize {
		v := m.vmas.find(a)
		if v == nil || v.uffd != u || !v.anonymous() {
			return a - dst, unix.ENOENT
		}
		if wp {
			return a - dst, unix.EINVAL // not registered for write-protection
		}
		if m.pt.get(a) != nil || m.guardedLocked(a) {
			return a - dst, unix.EEXIST
		}
		f, _, err := m.mf.allocRun(1)
		if err != nil {
			return a - dst, unix.ENOMEM
		}
		page := m.mf.frame(f)
		if src != nil {
			copy(page, src[a-dst:a-dst+pageSize])
		} else {
			clear(page)
		}
		m.pt.set(a, pte{frame: f})
	}
	return end - dst, nil
}

// userfaultLocked returns the wait for an application's fault on page of
// v that a userfaultfd must resolve, or nil: the page is missing in a
// VMA registered for missing pages.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) userfaultLocked(v *vma, page uintptr) *UserfaultWait {
	if u := m.userfaultCtxLocked(v, page); u != nil {
		return u.queueLocked(page, false)
	}
	return nil
}

// userfaultCtxLocked returns the context that must resolve a fault on
// page of v, or nil: the page is missing in a VMA registered for missing
// pages with a context not yet released.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) userfaultCtxLocked(v *vma, page uintptr) *Userfault {
	if v.uffd == nil || !v.uffdMissing || m.pt.get(page) != nil {
		return nil
	}
	u := v.uffd
	u.mu.Lock()
	released := u.released
	u.mu.Unlock()
	if released {
		return nil
	}
	return u
}

// kernelUserfaultLocked is userfaultLocked for a kernel access (write
// tells which): the wait, EFAULT if the context handles only the
// application's faults (UFFD_USER_MODE_ONLY), or nil.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) kernelUserfaultLocked(v *vma, page uintptr, write bool) error {
	u := m.userfaultCtxLocked(v, page)
	if u == nil {
		return nil
	}
	if u.userModeOnly {
		return unix.EFAULT
	}
	return u.queueLocked(page, write)
}

// userfaultBlock is how a kernel access waits for a userfault: see
// SetUserfaultBlock.
var userfaultBlock atomic.Pointer[func(<-chan struct{}) error]

// SetUserfaultBlock sets how a kernel access waits for a userfaultfd to
// resolve a fault: block returns once done is closed, or with an error
// if the calling thread is interrupted first (a signal), which makes the
// access fail with EFAULT. Without it the wait cannot be interrupted
// (it still ends when the userfaultfd is closed).
func SetUserfaultBlock(block func(done <-chan struct{}) error) {
	userfaultBlock.Store(&block)
}

// isUserfault reports whether err is a *UserfaultWait.
func isUserfault(err error) bool {
	var uw *UserfaultWait
	return errors.As(err, &uw)
}

// awaitUserfault handles what the preparation of pages for a kernel
// access returned, called without any lock: for a *UserfaultWait it
// tells the context's reader, waits for the fault to be resolved and
// returns true (the access is retried); interrupted, it abandons the
// fault and returns false.
func awaitUserfault(err error) bool {
	var uw *UserfaultWait
	if !errors.As(err, &uw) {
		return false
	}
	if uw.u.notify != nil {
		uw.u.notify()
	}
	if b := userfaultBlock.Load(); b != nil {
		if (*b)(uw.done) != nil {
			uw.Abandon()
			return false
		}
		return true
	}
	<-uw.done
	return true
}
