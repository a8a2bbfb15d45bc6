package mm

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file gives the kernel atomic access to 32-bit words of application
// memory, which futexes need: the application changes its futex words
// with locked instructions while kite reads and updates them, so plain
// copies would race with it.
//
// It is the only part of mm that uses unsafe: a word is reached through a
// pointer into the memory file's kernel mapping. The pointer is made by
// wordLocked from a bounds-checked 4-byte slice of that mapping, is used
// only while m.mu is held (so the frame can be neither freed nor replaced
// by a copy-on-write break), and never escapes this file. The memory
// file is a MAP_SHARED mapping of a memfd, so atomic instructions on the
// kernel's view act on the same physical memory as the application's.
//
// Words (at the end) is the other use: it hands out one page of a shared
// object the kernel owns as words of that mapping, which stays mapped for
// the memory file's life.

// FutexKey identifies a futex word the way Linux's futex keys do: two
// addresses name the same futex exactly when their keys are equal.
//
//   - A private futex (FUTEX_PRIVATE_FLAG) is the address space and the
//     address.
//   - A shared futex on a MAP_SHARED mapping is the shared memory object
//     and the byte offset of the word in it, so that every mapping of the
//     object, in any process and at any address, agrees.
//   - A shared futex on a private mapping is again the address space and
//     the address, but distinct from the private key of the same word (as
//     Linux marks such keys), so that private and shared operations on one
//     word do not meet.
//
// Keys are comparable and may be used as map keys.
type FutexKey struct {
	// Object is the *MemoryManager or the shared object (opaque) the key
	// refers to. It is compared by identity.
	Object any
	// Offset is the address of the word (for an address-space key) or its
	// byte offset in the shared object.
	Offset uint64
	// Shared is set for keys of non-private futex operations.
	Shared bool
}

// LoadUint32 atomically reads the 32-bit word at addr, faulting the page
// in as an application read would. It returns EINVAL if addr is not
// 4-byte aligned and EFAULT if the application could not read it.
func (m *MemoryManager) LoadUint32(addr uintptr) (uint32, error) { return m.loadUint32(addr, true) }

func (m *MemoryManager) loadUint32(addr uintptr, wait bool) (uint32, error) {
	var v uint32
	err := m.withWordWait(addr, false, wait, func(p *uint32) { v = atomic.LoadUint32(p) })
	return v, err
}

// CompareAndSwapUint32 atomically replaces the word at addr with new if it
// holds old. It returns the value the word held (equal to old exactly when
// the swap happened). It faults the page in and breaks copy-on-write as an
// application write would: EFAULT if the application could not write the
// word, EINVAL if addr is not 4-byte aligned.
func (m *MemoryManager) CompareAndSwapUint32(addr uintptr, old, new uint32) (prev uint32, err error) {
	return m.compareAndSwapUint32(addr, old, new, true)
}

func (m *MemoryManager) compareAndSwapUint32(addr uintptr, old, new uint32, wait bool) (prev uint32, err error) {
	err = m.withWordWait(addr, true, wait, func(p *uint32) {
		for {
			if atomic.CompareAndSwapUint32(p, old, new) {
				prev = old
				return
			}
			if prev = atomic.LoadUint32(p); prev != old {
				return
			}
			// The word changed to old again between the two
			// operations; try the swap once more.
		}
	})
	return prev, err
}

// SwapUint32 atomically stores new at addr and returns the previous value
// (errors as CompareAndSwapUint32).
func (m *MemoryManager) SwapUint32(addr uintptr, new uint32) (old uint32, err error) {
	return m.swapUint32(addr, new, true)
}

func (m *MemoryManager) swapUint32(addr uintptr, new uint32, wait bool) (old uint32, err error) {
	err = m.withWordWait(addr, true, wait, func(p *uint32) { old = atomic.SwapUint32(p, new) })
	return old, err
}

// AtomicOp32 atomically replaces the word at addr with fn(old), retrying
// if the application changes the word meanwhile, and returns old (errors as
// CompareAndSwapUint32). fn may run several times.
//
// Preconditions: fn must not call into m (it runs with m.mu held).
func (m *MemoryManager) AtomicOp32(addr uintptr, fn func(old uint32) uint32) (old uint32, err error) {
	return m.atomicOp32(addr, fn, true)
}

func (m *MemoryManager) atomicOp32(addr uintptr, fn func(old uint32) uint32, wait bool) (old uint32, err error) {
	err = m.withWordWait(addr, true, wait, func(p *uint32) {
		for {
			old = atomic.LoadUint32(p)
			if atomic.CompareAndSwapUint32(p, old, fn(old)) {
				return
			}
		}
	})
	return old, err
}

// FutexKey returns the key of the futex word at addr (see FutexKey).
// Like Linux's get_futex_key it returns EINVAL for a misaligned address and
// EFAULT for one past the end of the address space; a private key is
// computed without touching memory, while a shared one needs the page
// (EFAULT if the application could not read it), which it faults in.
func (m *MemoryManager) FutexKey(addr uintptr, private bool) (FutexKey, error) {
	if addr&3 != 0 {
		return FutexKey{}, unix.EINVAL
	}
	if addr > m.maxAddr-4 {
		return FutexKey{}, unix.EFAULT
	}
	if private {
		return FutexKey{Object: m, Offset: uint64(addr)}, nil
	}
	var key FutexKey
	err := m.withWord(addr, false, func(*uint32) {
		// m.mu is held: the VMA found by withWord is still there.
		v := m.vmas.find(addr)
		if v.obj != nil {
			key = FutexKey{Object: v.obj, Offset: v.off + uint64(addr-v.start), Shared: true}
			return
		}
		key = FutexKey{Object: m, Offset: uint64(addr), Shared: true}
	})
	return key, err
}

// LockedWords is a MemoryManager whose word operations (LoadUint32,
// CompareAndSwapUint32, SwapUint32, AtomicOp32) are for callers that
// hold a lock other tasks wait for (the futex hash buckets): a missing
// page that a userfaultfd must fill is EFAULT instead of a wait, as
// Linux reads futex words under the hash lock with page faults
// disabled. Such callers fault the word in before they take the lock,
// so only a page taken away in between (MADV_DONTNEED by another
// thread) meets this; waiting there could hold the bucket, and every
// futex hashed to it, for as long as the handler pleased.
type LockedWords struct{ *MemoryManager }

// NoUserfaultWait returns m's LockedWords.
func (m *MemoryManager) NoUserfaultWait() LockedWords { return LockedWords{m} }

// LoadUint32 is MemoryManager.LoadUint32 without a userfault wait.
func (l LockedWords) LoadUint32(addr uintptr) (uint32, error) {
	return l.MemoryManager.loadUint32(addr, false)
}

// CompareAndSwapUint32 is MemoryManager.CompareAndSwapUint32 without a
// userfault wait.
func (l LockedWords) CompareAndSwapUint32(addr uintptr, old, new uint32) (uint32, error) {
	return l.MemoryManager.compareAndSwapUint32(addr, old, new, false)
}

// SwapUint32 is MemoryManager.SwapUint32 without a userfault wait.
func (l LockedWords) SwapUint32(addr uintptr, new uint32) (uint32, error) {
	return l.MemoryManager.swapUint32(addr, new, false)
}

// AtomicOp32 is MemoryManager.AtomicOp32 without a userfault wait.
func (l LockedWords) AtomicOp32(addr uintptr, fn func(old uint32) uint32) (uint32, error) {
	return l.MemoryManager.atomicOp32(addr, fn, false)
}

// withWord runs fn on the word at addr with m.mu held for reading, after
// making the page ready for a read (or write) as the application's access
// would. fn must be short and must not call into m.
func (m *MemoryManager) withWord(addr uintptr, write bool, fn func(p *uint32)) error {
	return m.withWordWait(addr, write, true, fn)
}

// withWordWait is withWord; without wait, a page a userfaultfd must fill
// is EFAULT (LockedWords).
func (m *MemoryManager) withWordWait(addr uintptr, write, wait bool, fn func(p *uint32)) error {
	if addr&3 != 0 {
		return unix.EINVAL
	}
	if addr+4 < addr {
		return unix.EFAULT
	}
	acc := accessRead
	if write {
		acc = accessWrite
	}
	for tries := 0; ; tries++ {
		m.mu.RLock()
		if p := m.wordLocked(addr, write); p != nil {
			fn(p)
			m.mu.RUnlock()
			return nil
		}
		m.mu.RUnlock()
		if tries == 3 {
			// Another thread keeps undoing our work; give up as
			// access does.
			return unix.EFAULT
		}
		err := m.lockedWithReads(func(rd *fileRead) error { return m.prepareLocked(addr, addr+4, acc, rd) })
		if err != nil {
			if !wait {
				var uw *UserfaultWait
				if errors.As(err, &uw) {
					uw.Abandon()
				}
				return unix.EFAULT
			}
			if awaitUserfault(err) {
				tries = -1
				continue
			}
			return unix.EFAULT
		}
	}
}

// wordLocked returns a pointer to the word at addr in the memory file's
// kernel mapping if the page is ready for the access, or nil. addr is
// 4-byte aligned, so the word lies within one page.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) wordLocked(addr uintptr, write bool) *uint32 {
	v := m.vmas.find(addr)
	acc := accessRead
	if write {
		acc = accessWrite
	}
	if v == nil || !v.allows(acc) {
		return nil
	}
	p := m.pt.get(pageDown(addr))
	if p == nil || (write && p.cow) {
		return nil
	}
	b := m.mf.bytes(p.frame+uint64(addr&pageMask), 4)
	return (*uint32)(unsafe.Pointer(&b[0]))
}

// Words returns page idx of o, allocating it, as the 64-bit words of the
// memory file's kernel mapping behind it. The kernel publishes what
// applications map read-only (the vDSO's data page) through them with
// sync/atomic, as applications read them with plain loads. The words
// stay valid as long as o keeps the page: o must never be truncated or
// punched. Pages past o's size are EFAULT.
func (o *SharedMemory) Words(idx uint64) (*[pageSize / 8]uint64, error) {
	f, err := o.frameAt(idx)
	if err != nil {
		return nil, err
	}
	// frameAt's extra reference: the object keeps its own.
	o.mf.decRef(f, 1)
	b := o.mf.frame(f)
	return (*[pageSize / 8]uint64)(unsafe.Pointer(&b[0])), nil
}
