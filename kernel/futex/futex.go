package futex

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/mm"
)

// futex(2) operations and flags (linux/futex.h).
const (
	FUTEX_WAIT            = 0
	FUTEX_WAKE            = 1
	FUTEX_FD              = 2
	FUTEX_REQUEUE         = 3
	FUTEX_CMP_REQUEUE     = 4
	FUTEX_WAKE_OP         = 5
	FUTEX_LOCK_PI         = 6
	FUTEX_UNLOCK_PI       = 7
	FUTEX_TRYLOCK_PI      = 8
	FUTEX_WAIT_BITSET     = 9
	FUTEX_WAKE_BITSET     = 10
	FUTEX_WAIT_REQUEUE_PI = 11
	FUTEX_CMP_REQUEUE_PI  = 12
	FUTEX_LOCK_PI2        = 13

	FUTEX_PRIVATE_FLAG   = 128
	FUTEX_CLOCK_REALTIME = 256
	FUTEX_CMD_MASK       = ^(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)

	// FUTEX_BITSET_MATCH_ANY is the bitset of FUTEX_WAIT and FUTEX_WAKE.
	FUTEX_BITSET_MATCH_ANY = 0xffffffff
)

// The PI futex word: the owner's TID and two flags.
const (
	FUTEX_WAITERS    = 0x80000000
	FUTEX_OWNER_DIED = 0x40000000
	FUTEX_TID_MASK   = 0x3fffffff
)

// FUTEX_WAKE_OP's encoded operation.
const (
	FUTEX_OP_SET  = 0
	FUTEX_OP_ADD  = 1
	FUTEX_OP_OR   = 2
	FUTEX_OP_ANDN = 3
	FUTEX_OP_XOR  = 4

	// FUTEX_OP_OPARG_SHIFT in the op field: use 1<<oparg as the operand.
	FUTEX_OP_OPARG_SHIFT = 8

	FUTEX_OP_CMP_EQ = 0
	FUTEX_OP_CMP_NE = 1
	FUTEX_OP_CMP_LT = 2
	FUTEX_OP_CMP_LE = 3
	FUTEX_OP_CMP_GT = 4
	FUTEX_OP_CMP_GE = 5
)

// futex2 flags (futex_waitv entries).
const (
	FUTEX2_SIZE_U8   = 0x00
	FUTEX2_SIZE_U16  = 0x01
	FUTEX2_SIZE_U32  = 0x02
	FUTEX2_SIZE_U64  = 0x03
	FUTEX2_SIZE_MASK = 0x03
	FUTEX2_NUMA      = 0x04
	FUTEX2_MPOL      = 0x08
	FUTEX2_PRIVATE   = FUTEX_PRIVATE_FLAG

	// FUTEX_WAITV_MAX is the most futexes futex_waitv waits on.
	FUTEX_WAITV_MAX = 128
)

// Robust lists.
const (
	// ROBUST_LIST_LIMIT bounds the robust-list walk at thread exit.
	ROBUST_LIST_LIMIT = 2048
	// RobustListHeadSize is sizeof(struct robust_list_head) on amd64.
	RobustListHeadSize = 24
)

// underLock returns mem for reading and changing futex words with a
// bucket lock held: where mem offers it (mm.MemoryManager's
// NoUserfaultWait), a page a userfaultfd must fill fails with EFAULT
// instead of holding the bucket while the handler takes its time, as
// Linux reads futex words under its hash lock with page faults
// disabled. Callers fault the word in before they take the lock.
func underLock(mem Memory) Memory {
	if nw, ok := mem.(interface{ NoUserfaultWait() mm.LockedWords }); ok {
		return nw.NoUserfaultWait()
	}
	return mem
}

// Memory is the application memory futexes live in; *mm.MemoryManager
// implements it. Every method returns EINVAL for an address that is not
// 4-byte aligned and EFAULT for one the application cannot access.
type Memory interface {
	LoadUint32(addr uintptr) (uint32, error)
	CompareAndSwapUint32(addr uintptr, old, new uint32) (prev uint32, err error)
	SwapUint32(addr uintptr, new uint32) (old uint32, err error)
	// AtomicOp32 replaces the word with fn(old) atomically. fn must not
	// call into the Memory.
	AtomicOp32(addr uintptr, fn func(old uint32) uint32) (old uint32, err error)
	FutexKey(addr uintptr, private bool) (mm.FutexKey, error)
	// CopyIn reads len(dst) bytes at addr (robust-list walks).
	CopyIn(addr uintptr, dst []byte) (int, error)
}

// Waiter is the task that blocks in a futex operation.
type Waiter interface {
	// Park waits until ch receives (nil), or the task has something to
	// attend to (a signal, an exit) that must cut a blocking call short
	// (ERESTARTSYS); ParkTimeout also returns ETIMEDOUT when deadline
	// passes first. Every send on ch is followed by a Wake.
	Park(ch <-chan struct{}) error
	ParkTimeout(ch <-chan struct{}, deadline time.Time) error
	// Wake ends the task's Park, or makes its next one return at once
	// (it then checks ch again). It never blocks.
	Wake()
}

// numBuckets is the number of hash buckets (a power of two).
const numBuckets = 1024

// Manager holds every futex wait queue of one kernel.
type Manager struct {
	seed    maphash.Seed
	buckets [numBuckets]bucket

	// piMu guards piOwned and exited.
	piMu sync.Mutex
	// piOwned maps a kernel-wide TID to the keys of the PI futexes it owns that have
	// waiters (Linux's per-task pi_state_list), so that its exit can hand
	// them on. Guarded by piMu.
	piOwned map[int32]map[mm.FutexKey]struct{}
	// exited maps the kernel-wide TIDs of threads that have been through ExitPIState
	// to their tombstones (Linux's PF_EXITPIDONE), until a lookup shows
	// the TID gone or reused, or the tombstone is old (see
	// pruneTombstonesLocked). Guarded by piMu.
	exited map[int32]tombstone
	// nextPrune is the earliest time pruneTombstonesLocked scans exited
	// again. Guarded by piMu.
	nextPrune time.Time
}

// tombstone records a thread whose PI futexes have been handed on.
type tombstone struct {
	self any       // its TaskLookup identity
	at   time.Time // when it went through ExitPIState
}

// NewManager returns a Manager with no waiters.
func NewManager() *Manager {
	m := &Manager{seed: maphash.MakeSeed(), piOwned: make(map[int32]map[mm.FutexKey]struct{}), exited: make(map[int32]tombstone)}
	for i := range m.buckets {
		m.buckets[i].index = i
	}
	return m
}

// bucket is one hash chain of wait queues.
type bucket struct {
	index int // position in Manager.buckets, for lock ordering

	mu sync.Mutex
	// queues maps a key to its waiters; a queue exists only while it has
	// waiters. Guarded by mu.
	queues map[mm.FutexKey]*queue
}

// queue is the FIFO of waiters on one futex.
type queue struct {
	key        mm.FutexKey
	head, tail *waiter
	// npi counts waiters of kind waitPI.
	npi int
	// piOwner is, while npi > 0, the kernel-wide TID that owns the PI futex (Linux's
	// pi_state owner).
	piOwner int32
}

// waiterKind says what a waiter waits for.
type waiterKind int

const (
	// waitNormal: FUTEX_WAIT, FUTEX_WAIT_BITSET, futex_waitv.
	waitNormal waiterKind = iota
	// waitPI: blocked in FUTEX_LOCK_PI on a PI futex owned by another.
	waitPI
	// waitRequeuePI: FUTEX_WAIT_REQUEUE_PI, waiting on the non-PI futex
	// to be requeued to (or to acquire) the PI futex key2.
	waitRequeuePI
)

// waiter is one blocked task on one futex (Linux's futex_q).
type waiter struct {
	// b is the bucket whose lock guards the fields below marked "Guarded
	// by b.mu"; nil once the waiter is off every queue (woken). It is
	// written only with that lock held and read without it.
	b atomic.Pointer[bucket]

	// q, prev, next place the waiter on its queue. Guarded by b.mu.
	q          *queue
	prev, next *waiter
	// kind changes from waitRequeuePI to waitPI on requeue. Guarded by
	// b.mu.
	kind waiterKind

	bitset uint32
	// ch receives when the waiter is woken, and then t wakes (t is the
	// task that sleeps on ch). futex_waitv's waiters share one.
	ch chan struct{}
	t  Waiter
	// index is the position in the futex_waitv vector.
	index int

	// For PI waiters: the TID to make owner, and where the futex word is
	// in the waiter's own address space (addr changes to addr2 on
	// requeue-PI; guarded by b.mu).
	tid int32
	// gid is the waiter's kernel-wide TID (PI owners are kept by it).
	gid  int32
	mem  Memory
	addr uintptr
	// For requeue-PI waiters: the PI futex they expect to be requeued to.
	key2  mm.FutexKey
	addr2 uintptr

	// acquired is set (before the waiter is taken off its queue) when a
	// PI lock was handed to the waiter.
	acquired bool
}

func newWaiter(t Waiter, kind waiterKind, bitset uint32) *waiter {
	return &waiter{kind: kind, bitset: bitset, ch: make(chan struct{}, 1), t: t}
}

// bucketOf returns the bucket of key.
func (m *Manager) bucketOf(key mm.FutexKey) *bucket {
	return &m.buckets[maphash.Comparable(m.seed, key)&(numBuckets-1)]
}

// lockPair locks two buckets (possibly the same) in index order.
func lockPair(b1, b2 *bucket) {
	switch {
	case b1 == b2:
		b1.mu.Lock()
	case b1.index < b2.index:
		b1.mu.Lock()
		b2.mu.Lock()
	default:
		b2.mu.Lock()
		b1.mu.Lock()
	}
}

func unlockPair(b1, b2 *bucket) {
	b1.mu.Unlock()
	if b1 != b2 {
		b2.mu.Unlock()
	}
}

// lookupLocked returns key's queue or nil.
//
// Preconditions: b.mu is held; b is key's bucket.
func (b *bucket) lookupLocked(key mm.FutexKey) *queue {
	return b.queues[key]
}

// enqueueLocked appends w to key's queue in b.
//
// Preconditions: b.mu is held; b is key's bucket; w is on no queue.
func (m *Manager) enqueueLocked(b *bucket, key mm.FutexKey, w *waiter) {
	q := b.queues[key]
	if q == nil {
		if b.queues == nil {
			b.queues = make(map[mm.FutexKey]*queue)
		}
		q = &queue{key: key}
		b.queues[key] = q
	}
	w.q = q
	w.prev, w.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	if w.kind == waitPI {
		q.npi++
	}
	w.b.Store(b)
}

// unlinkLocked takes w off its queue without changing w.b, deleting the
// queue once empty and the PI bookkeeping once it has no PI waiters.
//
// Preconditions: b.mu is held and w.b == b.
func (m *Manager) unlinkLocked(b *bucket, w *waiter) {
	q := w.q
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next, w.q = nil, nil, nil
	if w.kind == waitPI {
		q.npi--
		if q.npi == 0 {
			m.setPIOwnerLocked(q, 0)
		}
	}
	if q.head == nil {
		delete(b.queues, q.key)
	}
}

// wakeLocked takes w off its queue and wakes it.
//
// Preconditions: b.mu is held and w.b == b.
func (m *Manager) wakeLocked(b *bucket, w *waiter) {
	m.unlinkLocked(b, w)
	w.b.Store(nil)
	select {
	case w.ch <- struct{}{}:
	default:
	}
	if w.t != nil {
		w.t.Wake()
	}
}

// moveLocked moves w from its queue in b1 to the end of key2's queue in b2.
//
// Preconditions: b1.mu and b2.mu are held; w.b == b1; w's kind is final.
func (m *Manager) moveLocked(b1, b2 *bucket, w *waiter, key2 mm.FutexKey, kind waiterKind) {
	m.unlinkLocked(b1, w)
	w.kind = kind
	m.enqueueLocked(b2, key2, w)
}

// dequeue takes w off whatever queue it is on. It returns false if w was
// no longer queued (a wake or a PI hand-off got there first).
func (m *Manager) dequeue(w *waiter) bool {
	for {
		b := w.b.Load()
		if b == nil {
			return false
		}
		b.mu.Lock()
		if w.b.Load() != b {
			// Requeued meanwhile; follow it.
			b.mu.Unlock()
			continue
		}
		m.unlinkLocked(b, w)
		w.b.Store(nil)
		b.mu.Unlock()
		return true
	}
}

// setPIOwnerLocked records tid as the owner of q's PI futex (0: none).
//
// Preconditions: the bucket lock of q is held.
func (m *Manager) setPIOwnerLocked(q *queue, tid int32) {
	if q.piOwner == tid {
		return
	}
	m.piMu.Lock()
	defer m.piMu.Unlock()
	m.setPIOwnerPiLocked(q, tid)
}

// setPIOwnerPiLocked is setPIOwnerLocked with m.piMu held.
//
// Preconditions: the bucket lock of q and m.piMu are held.
func (m *Manager) setPIOwnerPiLocked(q *queue, tid int32) {
	if old := q.piOwner; old != 0 {
		if s := m.piOwned[old]; s != nil {
			delete(s, q.key)
			if len(s) == 0 {
				delete(m.piOwned, old)
			}
		}
	}
	q.piOwner = tid
	if tid != 0 {
		s := m.piOwned[tid]
		if s == nil {
			s = make(map[mm.FutexKey]struct{})
			m.piOwned[tid] = s
		}
		s[q.key] = struct{}{}
	}
}

// sleepResult says why sleep returned.
type sleepResult int

const (
	sleepWoken sleepResult = iota
	sleepTimedOut
	sleepInterrupted
)

// sleep blocks until ch receives, the deadline (if not zero) passes, or w
// is interrupted.
func sleep(w Waiter, ch <-chan struct{}, deadline time.Time) sleepResult {
	var err error
	if deadline.IsZero() {
		err = w.Park(ch)
	} else {
		err = w.ParkTimeout(ch, deadline)
	}
	switch {
	case err == nil:
		return sleepWoken
	case err == unix.ETIMEDOUT:
		return sleepTimedOut
	}
	return sleepInterrupted
}
