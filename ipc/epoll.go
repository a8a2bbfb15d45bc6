package ipc

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Epoll flag bits of struct epoll_event's events; the event bits are
// poll(2)'s (EPOLLIN is POLLIN, ...). x/sys/unix has them as signed ints.
const (
	EPOLLEXCLUSIVE uint32 = 1 << 28
	EPOLLWAKEUP    uint32 = 1 << 29
	EPOLLONESHOT   uint32 = 1 << 30
	EPOLLET        uint32 = 1 << 31

	// epollPrivateBits are what is left of a one-shot item's events once
	// it has fired (Linux's EP_PRIVATE_BITS): it reports nothing until
	// EPOLL_CTL_MOD arms it again.
	epollPrivateBits = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
	// epollExclusiveOK are the bits EPOLLEXCLUSIVE may be combined with.
	epollExclusiveOK = unix.POLLIN | unix.POLLOUT | unix.POLLERR | unix.POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE
	// epollReadable is what a ready epoll instance reports to its pollers.
	epollReadable = unix.POLLIN | vfs.PollRdNorm
)

// epoll_ctl operations.
const (
	EpollCtlAdd = 1
	EpollCtlDel = 2
	EpollCtlMod = 3
)

// maxNests is how deep epoll instances may watch each other (Linux's
// EPOLL_MAX_NESTS): a chain of five instances is the longest allowed.
const maxNests = 4

// EpollEventSize is sizeof(struct epoll_event) on amd64, where the struct
// is packed: a 4-byte events field and an 8-byte data field.
const EpollEventSize = 12

// MaxEpollEvents is the largest maxevents epoll_wait accepts (Linux's
// EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event)).
const MaxEpollEvents = (1<<31 - 1) / EpollEventSize

// EpollEvent is struct epoll_event.
type EpollEvent struct {
	Events uint32
	Data   uint64
}

// epollKey identifies an interest-list item: the file description and the
// fd number it was added with, so dup'd fds can be added separately.
type epollKey struct {
	file *vfs.File
	fd   int32
}

// epitem is one item of an interest list. The epoll instance does not
// hold a reference to the file: an item whose file has been released is
// dropped when the instance next meets it.
type epitem struct {
	ep    *EventPoll
	key   epollKey
	entry *vfs.WaitEntry
	// inner is the watched instance when the file is an epoll instance.
	inner *EventPoll

	// The fields below are guarded by ep.readyMu. events and data change
	// only with ep.mu held as well, so holders of ep.mu may read them.
	events  uint32 // the interest mask with the EPOLL* flags
	data    uint64
	linked  bool // on ep.ready, or on the list a scan is going through
	inOvf   bool // on ep.ovf
	removed bool
}

// EventPoll is an epoll instance: the file operations of an epoll file.
//
// Lock order: an instance's mu before the mu of an instance it watches;
// mu before readyMu and graphMu; the files' own locks may be taken under
// mu but never under readyMu. graphMu is a leaf (link and unlink take
// two instances' graphMu one after the other, never both). Wait-entry
// callbacks take only readyMu, so a file may notify its waiters with its
// locks held.
type EventPoll struct {
	eventFileOps

	// queue wakes the instance's pollers: poll, select and the epoll
	// instances that watch it.
	queue vfs.WaitQueue
	// waiters wakes epoll_wait callers.
	waiters vfs.WaitQueue

	// mu serializes interest-list changes and scans of the ready list,
	// and guards the fields below.
	mu      sync.Mutex
	items   map[epollKey]*epitem
	sweepAt int // interest-list size at which released files are swept

	// readyMu guards the ready list and the scan state.
	readyMu sync.Mutex
	// ready holds the items whose files may be ready, in the order their
	// events came.
	ready []*epitem
	// scanning is set while a scan goes through the items taken off
	// ready; callbacks then queue items on ovf instead.
	scanning bool
	ovf      []*epitem
	// spare is the backing array of the last scan's list, which the
	// next scan's ready list reuses.
	spare []*epitem

	// graphMu guards the nesting graph: children counts the items that
	// watch each epoll instance, parents the items of other instances
	// that watch this one.
	graphMu  sync.Mutex
	children map[*EventPoll]int
	parents  map[*EventPoll]int
}

// NewEpoll returns a new epoll file (epoll_create1), open for reading and
// writing; the caller applies EPOLL_CLOEXEC to the fd.
func NewEpoll(ctx vfs.Context, v *vfs.VirtualFilesystem) (*vfs.File, error) {
	ep := &EventPoll{
		items:    make(map[epollKey]*epitem),
		sweepAt:  16,
		children: make(map[*EventPoll]int),
		parents:  make(map[*EventPoll]int),
	}
	return newAnonFile(ctx, v, "eventpoll", ep, 0)
}

// EpollOf returns the epoll instance behind f, or nil if f is not an epoll
// file.
func EpollOf(f *vfs.File) *EventPoll {
	ep, _ := f.Ops().(*EventPoll)
	return ep
}

// Release implements vfs.FileOperations: closing the instance takes its
// wait entries off every file it watches.
func (ep *EventPoll) Release(vfs.Context) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for _, it := range ep.items {
		ep.removeLocked(it)
	}
}

// Read implements vfs.FileOperations: an epoll file cannot be read.
func (ep *EventPoll) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EINVAL
}

// Readiness implements vfs.Waitable: an instance is readable when one of
// its ready items really is ready.
func (ep *EventPoll) Readiness(mask uint32) uint32 {
	return ep.readiness(0) & mask
}

// EventRegister implements vfs.Waitable.
func (ep *EventPoll) EventRegister(e *vfs.WaitEntry) { ep.queue.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (ep *EventPoll) EventUnregister(e *vfs.WaitEntry) { ep.queue.EventUnregister(e) }

// Ctl carries out epoll_ctl(op, fd, ev) on the instance open as epf for
// the file tf open at fd. The caller has looked up both fds (EBADF) and,
// unless op is EPOLL_CTL_DEL, copied ev in (EFAULT). The errors and their
// order are Linux's: EPERM for a file that cannot be polled (regular
// files, directories), EINVAL when epf is not an epoll file or is tf,
// EINVAL for EPOLLEXCLUSIVE with EPOLL_CTL_MOD, with an epoll target or
// with bits it does not allow, ELOOP for a cycle or nesting too deep,
// then EEXIST, ENOENT or EINVAL (unknown op, or MOD of an exclusive item).
func Ctl(epf *vfs.File, op int, fd int32, tf *vfs.File, ev EpollEvent) error {
	if epf.IsPath() || tf.IsPath() {
		return unix.EBADF
	}
	if _, ok := tf.Ops().(vfs.Waitable); !ok {
		return unix.EPERM
	}
	ep := EpollOf(epf)
	if epf == tf || ep == nil {
		return unix.EINVAL
	}
	target := EpollOf(tf)
	if op != EpollCtlDel && ev.Events&EPOLLEXCLUSIVE != 0 {
		if op == EpollCtlMod {
			return unix.EINVAL
		}
		if op == EpollCtlAdd && (target != nil || ev.Events&^epollExclusiveOK != 0) {
			return unix.EINVAL
		}
	}
	if op == EpollCtlAdd && target != nil && ep.wouldLoop(target) {
		return unix.ELOOP
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	key := epollKey{file: tf, fd: fd}
	it := ep.items[key]
	switch op {
	case EpollCtlAdd:
		if it != nil {
			return unix.EEXIST
		}
		ev.Events |= unix.POLLERR | unix.POLLHUP
		ep.insertLocked(key, target, ev)
	case EpollCtlDel:
		if it == nil {
			return unix.ENOENT
		}
		ep.removeLocked(it)
	case EpollCtlMod:
		if it == nil {
			return unix.ENOENT
		}
		if it.events&EPOLLEXCLUSIVE != 0 {
			return unix.EINVAL
		}
		ev.Events |= unix.POLLERR | unix.POLLHUP
		ep.modifyLocked(it, ev)
	default:
		return unix.EINVAL
	}
	return nil
}

// insertLocked adds an item for key and queues it if its file is ready.
//
// Preconditions: ep.mu is held; key is not in ep.items.
func (ep *EventPoll) insertLocked(key epollKey, target *EventPoll, ev EpollEvent) {
	if len(ep.items) >= ep.sweepAt {
		ep.sweepLocked()
	}
	it := &epitem{ep: ep, key: key, inner: target, events: ev.Events, data: ev.Data}
	// The callback filters events itself, so the entry's mask never has
	// to change with EPOLL_CTL_MOD.
	it.entry = &vfs.WaitEntry{Mask: ^uint32(0), Callback: it.callback}
	if ev.Events&EPOLLEXCLUSIVE != 0 {
		it.entry = &vfs.WaitEntry{Mask: ^uint32(0), Exclusive: true, WakeOne: it.wakeOne}
	}
	ep.items[key] = it
	if target != nil {
		ep.link(target)
	}
	key.file.EventRegister(it.entry)
	if ep.pollItem(it, 0) != 0 {
		ep.queueReady(it)
	}
}

// modifyLocked changes an item's events and data (EPOLL_CTL_MOD), which
// also arms a one-shot item again.
//
// Preconditions: ep.mu is held.
func (ep *EventPoll) modifyLocked(it *epitem, ev EpollEvent) {
	ep.readyMu.Lock()
	it.events, it.data = ev.Events, ev.Data
	ep.readyMu.Unlock()
	if ep.pollItem(it, 0) != 0 {
		ep.queueReady(it)
	}
}

// removeLocked takes an item off the interest and ready lists.
//
// Preconditions: ep.mu is held.
func (ep *EventPoll) removeLocked(it *epitem) {
	ep.readyMu.Lock()
	it.removed = true
	if it.linked {
		ep.ready = dropItem(ep.ready, it)
		it.linked = false
	}
	if it.inOvf {
		ep.ovf = dropItem(ep.ovf, it)
		it.inOvf = false
	}
	ep.readyMu.Unlock()
	delete(ep.items, it.key)
	it.key.file.EventUnregister(it.entry)
	if it.inner != nil {
		ep.unlink(it.inner)
	}
}

// TargetFiles returns the open files of ep's interest list that were
// added with fd number fd (kcmp's KCMP_EPOLL_TFD). The files are for
// comparing identities only: no reference is taken.
func (ep *EventPoll) TargetFiles(fd int32) []*vfs.File {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	var fs []*vfs.File
	for k := range ep.items {
		if k.fd == fd && !k.file.Released() {
			fs = append(fs, k.file)
		}
	}
	return fs
}

// sweepLocked drops the items whose files have been released, and sets
// the size at which to sweep again.
//
// Preconditions: ep.mu is held.
func (ep *EventPoll) sweepLocked() {
	for _, it := range ep.items {
		if it.key.file.Released() {
			ep.removeLocked(it)
		}
	}
	ep.sweepAt = 2*len(ep.items) + 16
}

func dropItem(l []*epitem, it *epitem) []*epitem {
	for i, x := range l {
		if x == it {
			return append(l[:i], l[i+1:]...)
		}
	}
	return l
}

// queueReady puts it on the ready list (unless it is there) and wakes the
// instance's waiters and pollers, as a file's notification would.
func (ep *EventPoll) queueReady(it *epitem) {
	ep.readyMu.Lock()
	if !it.linked && !it.removed {
		it.linked = true
		ep.ready = append(ep.ready, it)
	}
	ep.readyMu.Unlock()
	ep.wake()
}

// wake tells epoll_wait callers and pollers that items may be ready.
func (ep *EventPoll) wake() {
	ep.waiters.Notify(epollReadable)
	ep.queue.Notify(epollReadable)
}

// wakeOne is an EPOLLEXCLUSIVE item's callback: it queues the item as
// callback does and reports whether that woke an epoll_wait caller for
// events the item wants (ep_poll_callback's ewake), which ends the
// file's exclusive wake-up.
func (it *epitem) wakeOne(events uint32) bool {
	ep := it.ep
	active := ep.waiters.Active()
	ep.readyMu.Lock()
	want := it.events
	skip := it.removed || want&^epollPrivateBits == 0 || (events != 0 && events&want == 0)
	ep.readyMu.Unlock()
	it.callback(events)
	if skip || !active {
		return false
	}
	switch events & (unix.POLLIN | unix.POLLOUT) {
	case unix.POLLIN:
		return want&unix.POLLIN != 0
	case unix.POLLOUT:
		return want&unix.POLLOUT != 0
	case 0:
		return true
	}
	return false
}

// callback is an item's wait-entry callback: its file says events
// happened. The item goes on the ready list (or, during a scan, on the
// overflow list) if it wants any of them; a disabled one-shot item wants
// nothing.
func (it *epitem) callback(events uint32) {
	ep := it.ep
	ep.readyMu.Lock()
	if it.removed || it.events&^epollPrivateBits == 0 || (events != 0 && events&it.events == 0) {
		ep.readyMu.Unlock()
		return
	}
	if ep.scanning {
		if !it.inOvf {
			it.inOvf = true
			ep.ovf = append(ep.ovf, it)
		}
	} else if !it.linked {
		it.linked = true
		ep.ready = append(ep.ready, it)
	}
	ep.readyMu.Unlock()
	ep.wake()
}

// pollItem returns the events of the item's interest mask that its file
// has ready. depth is the nesting depth of ep's scan.
//
// Preconditions: ep.mu is held.
func (ep *EventPoll) pollItem(it *epitem, depth int) uint32 {
	want := it.events &^ epollPrivateBits
	if want == 0 {
		return 0
	}
	if it.inner != nil {
		return it.inner.readiness(depth+1) & want
	}
	return it.key.file.Readiness(want) & want
}

// startScan takes the ready list for a scan.
//
// Preconditions: ep.mu is held.
func (ep *EventPoll) startScan() []*epitem {
	ep.readyMu.Lock()
	defer ep.readyMu.Unlock()
	tx := ep.ready
	ep.ready, ep.spare = ep.spare, nil
	ep.scanning = true
	return tx
}

// doneScan ends a scan: the items the scan did not get to (left, still
// linked) go back to the head of the ready list, then the items whose
// files signalled during the scan, then the items the scan queued again
// (level-triggered ones), which is the order Linux's list leaves them
// in. epoll_wait callers are woken if anything is left.
//
// Preconditions: ep.mu is held; startScan returned tx, and the scan got
// to tx[i].
func (ep *EventPoll) doneScan(tx []*epitem, i int) {
	left := tx[i:]
	ep.readyMu.Lock()
	if len(left) > 0 || len(ep.ovf) > 0 {
		head := make([]*epitem, 0, len(left)+len(ep.ovf)+len(ep.ready))
		head = append(head, left...)
		for _, it := range ep.ovf {
			it.inOvf = false
			if !it.linked && !it.removed {
				it.linked = true
				head = append(head, it)
			}
		}
		clear(ep.ovf)
		ep.ovf = ep.ovf[:0]
		ep.ready = append(head, ep.ready...)
	}
	clear(tx)
	ep.spare = tx[:0]
	ep.scanning = false
	more := len(ep.ready) > 0
	ep.readyMu.Unlock()
	if more {
		ep.waiters.Notify(epollReadable)
	}
}

// unlinkScanned marks an item taken off the scan's list.
func (ep *EventPoll) unlinkScanned(it *epitem) {
	ep.readyMu.Lock()
	it.linked = false
	ep.readyMu.Unlock()
}

// readiness reports whether the instance has an item that is ready, as
// an instance watching it or poll sees it; items that turn out not to be
// ready leave the ready list. depth is how deep in nested instances the
// question comes from: beyond maxNests the answer is "not ready". A
// nested instance busy in another scan answers from its ready list alone
// rather than wait, so that instances never wait for each other.
func (ep *EventPoll) readiness(depth int) uint32 {
	if depth > maxNests {
		return 0
	}
	if depth == 0 {
		ep.mu.Lock()
	} else if !ep.mu.TryLock() {
		ep.readyMu.Lock()
		busy := len(ep.ready) > 0 || ep.scanning
		ep.readyMu.Unlock()
		if busy {
			return epollReadable
		}
		return 0
	}
	defer ep.mu.Unlock()
	tx := ep.startScan()
	var res uint32
	i := 0
	for ; i < len(tx); i++ {
		it := tx[i]
		if it.key.file.Released() {
			ep.unlinkScanned(it)
			ep.removeLocked(it)
			continue
		}
		if ep.pollItem(it, depth) != 0 {
			res = epollReadable
			break
		}
		ep.unlinkScanned(it)
	}
	ep.doneScan(tx, i)
	return res
}

// send moves up to max ready events to put, as epoll_wait: each item on
// the ready list is polled; one that has events is reported, then
// disabled if one-shot, queued again if level-triggered, or left off the
// list if edge-triggered. put copies an event out and returns false when
// it cannot; that item stays ready, and send returns EFAULT if it was
// the first.
func (ep *EventPoll) send(max int, put func(EpollEvent) bool) (int, error) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	tx := ep.startScan()
	n := 0
	i := 0
	var err error
	for ; i < len(tx) && n < max; i++ {
		it := tx[i]
		ep.unlinkScanned(it)
		if it.key.file.Released() {
			ep.removeLocked(it)
			continue
		}
		revents := ep.pollItem(it, 0)
		if revents == 0 {
			continue
		}
		if !put(EpollEvent{Events: revents, Data: it.data}) {
			ep.readyMu.Lock()
			it.linked = true
			ep.readyMu.Unlock()
			if n == 0 {
				err = unix.EFAULT
			}
			break
		}
		n++
		ep.readyMu.Lock()
		switch {
		case it.events&EPOLLONESHOT != 0:
			it.events &= epollPrivateBits
		case it.events&EPOLLET == 0:
			it.linked = true
			ep.ready = append(ep.ready, it)
		}
		ep.readyMu.Unlock()
	}
	ep.doneScan(tx, i)
	return n, err
}

// Wait carries out epoll_wait: it passes up to max ready events to put
// (see send) and returns how many it passed. With none ready it sleeps
// through sleep, which returns nil when woken, ETIMEDOUT when the timeout
// passes (Wait then returns what is ready, usually 0) and any other error
// when a signal interrupts it (Wait returns what became ready meanwhile,
// else EINTR: epoll_wait is never restarted). A nil sleep means a zero timeout. The channel's sender wakes
// wk after sending, so that sleep may be the caller's Park.
func (ep *EventPoll) Wait(max int, wk vfs.Waker, sleep func(ch <-chan struct{}) error, put func(EpollEvent) bool) (int, error) {
	if n, err := ep.send(max, put); n > 0 || err != nil || sleep == nil {
		return n, err
	}
	w := newWaiter(&ep.waiters, ^uint32(0), wk)
	defer w.done()
	for {
		n, err := ep.send(max, put)
		if n > 0 || err != nil {
			return n, err
		}
		switch serr := sleep(w.ch); serr {
		case nil:
		case unix.ETIMEDOUT:
			return ep.send(max, put)
		default:
			// As Linux's ep_poll, events that came with the signal
			// (a child's exit hangs up its pipe and sends SIGCHLD)
			// are reported before the interruption.
			if n, err := ep.send(max, put); n > 0 || err != nil {
				return n, err
			}
			return 0, unix.EINTR
		}
	}
}

// wouldLoop reports whether making ep watch target would close a cycle
// or nest instances more than maxNests deep (ELOOP), as Linux's
// ep_loop_check: the longest chain below target, plus the link, plus the
// longest chain above ep must stay within maxNests.
//
// Two concurrent EPOLL_CTL_ADDs could each pass the check and together
// make a cycle (Linux serializes them with a global mutex; kite has no
// global state). Scans stay safe: nested instances are polled to at most
// maxNests levels and never waited for.
func (ep *EventPoll) wouldLoop(target *EventPoll) bool {
	down := target.depthBelow(ep, 0)
	if down > maxNests {
		return true
	}
	return down+1+ep.depthAbove(0) > maxNests
}

// depthBelow returns the longest chain of instances ep watches, or more
// than maxNests if inserting is among them.
func (ep *EventPoll) depthBelow(inserting *EventPoll, depth int) int {
	res := 0
	for _, c := range ep.nested(false) {
		if c == inserting || depth > maxNests {
			return maxNests + 1
		}
		res = max(res, c.depthBelow(inserting, depth+1)+1)
		if res > maxNests {
			return res
		}
	}
	return res
}

// depthAbove returns the longest chain of instances that watch ep.
func (ep *EventPoll) depthAbove(depth int) int {
	if depth > maxNests {
		return maxNests + 1
	}
	res := 0
	for _, p := range ep.nested(true) {
		res = max(res, p.depthAbove(depth+1)+1)
	}
	return res
}

// nested returns the instances ep watches, or those watching it.
func (ep *EventPoll) nested(up bool) []*EventPoll {
	ep.graphMu.Lock()
	defer ep.graphMu.Unlock()
	m := ep.children
	if up {
		m = ep.parents
	}
	l := make([]*EventPoll, 0, len(m))
	for x := range m {
		l = append(l, x)
	}
	return l
}

// link records that ep has an item watching child.
func (ep *EventPoll) link(child *EventPoll) {
	ep.graphMu.Lock()
	ep.children[child]++
	ep.graphMu.Unlock()
	child.graphMu.Lock()
	child.parents[ep]++
	child.graphMu.Unlock()
}

// unlink undoes link.
func (ep *EventPoll) unlink(child *EventPoll) {
	ep.graphMu.Lock()
	if ep.children[child]--; ep.children[child] <= 0 {
		delete(ep.children, child)
	}
	ep.graphMu.Unlock()
	child.graphMu.Lock()
	if child.parents[ep]--; child.parents[ep] <= 0 {
		delete(child.parents, ep)
	}
	child.graphMu.Unlock()
}
