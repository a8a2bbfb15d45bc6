package kernel

import (
	"crypto/rand"
	"encoding/binary"
	"reflect"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/keys"
)

// Personality bits (include/uapi/linux/personality.h).
const (
	PerLinux32       = 0x0008
	PerMask          = 0xff
	ReadImpliesExec  = 0x0400000
	AddrNoRandomize  = 0x0040000
	perClearOnSetID  = 0x0040000 | 0x0200000 | 0x8000000 // ADDR_NO_RANDOMIZE | ADDR_COMPAT_LAYOUT | MMAP_PAGE_ZERO
	PersonalityQuery = 0xffffffff
)

// ioContext is a task's I/O context (Linux's io_context): the I/O
// priority ioprio_set records. CLONE_IO shares it between tasks.
type ioContext struct {
	// prio is the raw priority (class << 13 | level); atomic, since the
	// tasks sharing it hold different locks.
	prio atomic.Int32
}

// taskMisc is the state of the smaller per-task system call families
// (personality, ioprio, memory policy). Guarded by Task.mu.
type taskMisc struct {
	personality uint32
	io          *ioContext
	// mempolicy is set_mempolicy's mode (with its flags) and node mask.
	mempolicy     int
	mempolicyMask uint64
	// threadKeyring and sessionKeyring are the task's keyrings
	// (keys.go); the session keyring is inherited, the thread one not.
	threadKeyring, sessionKeyring *keys.Key
}

// tgMisc is the state of the smaller per-process families. Guarded by
// ThreadGroup.sigMu.
type tgMisc struct {
	// membarrier holds the MEMBARRIER_CMD_REGISTER_* commands the
	// process registered.
	membarrier int
	// processKeyring is the process's keyring (keys.go): shared by its
	// threads, not inherited.
	processKeyring *keys.Key
	// ru is the process's resource usage beyond its live tasks
	// (rusage.go; its own guards).
	ru tgRusage
}

// forkMisc returns the child's copy of t's taskMisc for clone flags f.
func (t *Task) forkMisc(f uint64) taskMisc {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.misc
	if m.threadKeyring != nil && f&unix.CLONE_THREAD != 0 {
		// A new thread gets a thread keyring of its own if its
		// creator had one (Linux's copy_creds).
		c := t.Credentials()
		m.threadKeyring = t.k.Keys().New("keyring", "_tid", c.FSUID, c.FSGID, threadKeyringPerm, nil)
	} else {
		m.threadKeyring = nil
	}
	if f&unix.CLONE_IO == 0 && m.io != nil {
		io := &ioContext{}
		io.prio.Store(m.io.prio.Load())
		m.io = io
	}
	return m
}

// forkMisc returns a new process's copy of tg's tgMisc: fork copies the
// address space's membarrier registrations.
func (tg *ThreadGroup) forkMisc() tgMisc {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	m := tg.misc
	m.processKeyring = nil
	m.ru = tgRusage{}
	return m
}

// execMisc applies execve's rules to the personality: a set-id exec
// clears PER_CLEAR_ON_SETID and every 64-bit exec clears
// READ_IMPLIES_EXEC (a non-executable stack). membarrier registrations
// belong to the old address space.
func (t *Task) execMisc(secure bool) {
	t.mu.Lock()
	t.misc.personality &^= ReadImpliesExec
	t.misc.threadKeyring = nil
	if secure {
		t.misc.personality &^= perClearOnSetID
	}
	t.mu.Unlock()
	t.tg.sigMu.Lock()
	t.tg.misc.membarrier = 0
	t.tg.misc.processKeyring = nil
	t.tg.sigMu.Unlock()
}

// Personality returns the task's execution domain and flags.
func (t *Task) Personality() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.misc.personality
}

// SetPersonality replaces the personality, returning the old one. Linux
// accepts every value (unknown domains included).
func (t *Task) SetPersonality(p uint32) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.misc.personality
	t.misc.personality = p
	return old
}

// I/O priority classes.
const (
	IOPrioClassNone = 0
	IOPrioClassRT   = 1
	IOPrioClassBE   = 2
	IOPrioClassIdle = 3
)

// IOPrio returns the raw I/O priority ioprio_set gave (0: none).
func (t *Task) IOPrio() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.misc.io == nil {
		return 0
	}
	return int(t.misc.io.prio.Load())
}

// EffectiveIOPrio is the priority the task's I/O has: the raw one, or
// for class NONE the one its nice value and policy imply (Linux's
// __get_task_ioprio).
func (t *Task) EffectiveIOPrio() int {
	p := t.IOPrio()
	if p>>13 != IOPrioClassNone {
		return p
	}
	s := t.Sched()
	class := IOPrioClassBE
	switch s.Policy {
	case SchedIdle:
		class = IOPrioClassIdle
	case SchedFIFO, SchedRR:
		class = IOPrioClassRT
	}
	return class<<13 | (s.Nice+20)/5
}

// SetIOPrio records an I/O priority the caller checked, with Linux's
// permission rule: the target's real uid is the caller's real or
// effective uid, or the caller has CAP_SYS_NICE.
func (t *Task) SetIOPrio(caller *Task, prio int) error {
	c, tc := caller.Credentials(), t.Credentials()
	if tc.RealUID != c.EffectiveUID && tc.RealUID != c.RealUID && !c.HasGlobalCapability(unix.CAP_SYS_NICE) {
		return unix.EPERM
	}
	t.mu.Lock()
	if t.misc.io == nil {
		t.misc.io = &ioContext{}
	}
	io := t.misc.io
	io.prio.Store(int32(prio))
	t.mu.Unlock()
	// Every task of the I/O context (CLONE_IO) applies it to the host
	// thread that does its I/O.
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, x := range k.tasks {
		x.mu.Lock()
		if x.misc.io == io {
			x.schedChangedLocked(caller)
		}
		x.mu.Unlock()
	}
	return nil
}

// MemPolicy returns set_mempolicy's mode and node mask.
func (t *Task) MemPolicy() (mode int, mask uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.misc.mempolicy, t.misc.mempolicyMask
}

// SetMemPolicy records the task's memory policy. kite has one node, so
// every policy places memory on it.
func (t *Task) SetMemPolicy(mode int, mask uint64) {
	t.mu.Lock()
	t.misc.mempolicy, t.misc.mempolicyMask = mode, mask
	t.mu.Unlock()
}

// MembarrierRegistrations returns the registered membarrier commands.
func (tg *ThreadGroup) MembarrierRegistrations() int {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	return tg.misc.membarrier
}

// MembarrierRegister adds registration bits.
func (tg *ThreadGroup) MembarrierRegister(bits int) {
	tg.sigMu.Lock()
	tg.misc.membarrier |= bits
	tg.sigMu.Unlock()
}

// Resources of a task kcmp compares (KCMP_*).
const (
	KcmpFile    = 0
	KcmpVM      = 1
	KcmpFiles   = 2
	KcmpFS      = 3
	KcmpSighand = 4
	KcmpIO      = 5
	KcmpSysVSem = 6
)

// KcmpObject returns the identity of the resource of kind typ that t
// uses (an opaque pointer value: two tasks share the resource when the
// values are equal). nil is a resource the task does not have.
func (t *Task) KcmpObject(typ int) (uintptr, error) {
	var obj any
	t.mu.Lock()
	switch typ {
	case KcmpVM:
		obj = t.mm
	case KcmpFiles:
		obj = t.files
	case KcmpFS:
		obj = t.fs
	case KcmpIO:
		obj = t.misc.io
	case KcmpSysVSem:
		obj = t.semUndo
	case KcmpSighand:
		t.mu.Unlock()
		t.tg.sigMu.Lock()
		obj = t.tg.handlers
		t.tg.sigMu.Unlock()
		return PointerOf(obj), nil
	default:
		t.mu.Unlock()
		return 0, unix.EINVAL
	}
	t.mu.Unlock()
	return PointerOf(obj), nil
}

// PointerOf is the address of the object p points to (0 for nil): Go's
// heap objects do not move, so it identifies the object while it lives.
func PointerOf(p any) uintptr {
	v := reflect.ValueOf(p)
	if !v.IsValid() || v.IsNil() {
		return 0
	}
	return v.Pointer()
}

// kcmpCookies are the random values kcmp's ordering of objects is
// scrambled with (Linux's kptr_obfuscate), made on first use.
type kcmpCookies struct {
	once sync.Once
	c    [8][2]uint64
}

// KcmpObfuscate maps an object identity of kcmp type typ to a value
// whose order says nothing about kite's memory layout; equal identities
// map to equal values.
func (k *Kernel) KcmpObfuscate(p uintptr, typ int) uint64 {
	k.kcmp.once.Do(func() {
		var b [8 * 2 * 8]byte
		rand.Read(b[:])
		for i := range k.kcmp.c {
			k.kcmp.c[i][0] = binary.LittleEndian.Uint64(b[i*16:])
			k.kcmp.c[i][1] = binary.LittleEndian.Uint64(b[i*16+8:]) | 1
		}
	})
	c := k.kcmp.c[typ&7]
	return (uint64(p) ^ c[0]) * c[1]
}

// NumTasks returns the number of live threads in the group.
func (tg *ThreadGroup) NumTasks() int {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	return len(tg.tasks)
}
