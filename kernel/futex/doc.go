// Package futex implements Linux's fast user-space mutexes for kite: the
// wait queues behind futex(2) and futex_waitv(2) (wait and wake with
// bitsets, requeue, wake-op, the priority-inheritance lock protocol and
// requeue-PI), the robust-list walk of an exiting thread and the
// CLONE_CHILD_CLEARTID wake.
//
// A Manager (one per kernel) keeps waiters in hash buckets keyed by
// mm.FutexKey, so that private futexes match by address space and address
// and shared ones by the shared memory object and offset. It reaches
// application memory only through the Memory interface (implemented by
// *mm.MemoryManager) and a blocked task only through the Waiter interface,
// so it can be tested with fakes of both.
//
// The kernel calls, at a thread's exit and while its memory is still
// mapped, ExitRobustList, ExitPIState (with the thread's TaskLookup
// identity, so that lockers stop blocking behind it) and ClearChildTID, in
// that order (ExitThread does all three); at execve, ExitRobustList and
// ExitPIState with a nil identity, since the thread lives on.
//
// Priority inheritance itself is absent: PI futexes follow Linux's futex
// word protocol (TID, FUTEX_WAITERS, FUTEX_OWNER_DIED), error cases and
// direct hand-off to the next waiter, but waiters are served in FIFO order
// and no task's priority is boosted.
//
// futex imports mm and golang.org/x/sys/unix only.
//
// # Locking
//
// Each bucket has a mutex guarding its queues and the queue membership of
// the waiters on them. A waiter's bucket pointer (waiter.b) names the
// bucket whose lock guards it, and changes only with that lock (and, on
// requeue, the destination's lock) held, as Linux's futex_q.lock_ptr.
// Lock order: bucket.mu (two of them in index order), then the Memory's
// own locks; and bucket.mu, then Manager.piMu, then whatever the TaskAlive
// function given to LockPI takes. Memory is never used with piMu held.
package futex
