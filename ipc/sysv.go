package ipc

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/mm"
)

// System V IPC: shared memory segments, semaphore sets and message
// queues, each kind in its own table of a Namespace (one per IPC
// namespace). An object has an identifier (index + sequence << 15, as
// Linux), an optional key, and Linux's ipc_perm: owner, creator and mode,
// checked by ipcperms.

// IPC commands and flags (linux/ipc.h).
const (
	IPCPrivate = 0
	IPCCreat   = 0o1000
	IPCExcl    = 0o2000
	IPCNoWait  = 0o4000

	IPCRmid = 0
	IPCSet  = 1
	IPCStat = 2
	IPCInfo = 3

	// IPC64 is the flag of the 64-bit layouts, the only ones on amd64.
	IPC64 = 0x100
)

// seqShift is IPCMNI_SHIFT: an id is index + seq<<15.
const seqShift = 15

// maxIndex is IPCMNI, the most objects of one kind.
const maxIndex = 1 << seqShift

// Perm is an object's kern_ipc_perm. Ids are kernel ids.
type Perm struct {
	Key                  int32
	UID, GID, CUID, CGID uint32
	Mode                 uint32 // low 9 bits: permissions; above: kind flags (SHM_DEST...)
	Seq                  uint16
	ID                   int32
}

// ownerOrCreator reports whether c's effective uid owns or created the
// object, or c has CAP_SYS_ADMIN over the namespace (ipcctl_obtain_check's
// rule for IPC_SET and IPC_RMID).
func (p *Perm) ownerOrCreator(c *auth.Credentials, owner *auth.UserNamespace) bool {
	return c.EffectiveUID == p.CUID || c.EffectiveUID == p.UID || c.HasCapabilityIn(unix.CAP_SYS_ADMIN, owner)
}

// allowed is Linux's ipcperms: flag holds S_IRUGO/S_IWUGO-style bits
// (0o444 read, 0o222 write); CAP_IPC_OWNER over the namespace overrides.
func (p *Perm) allowed(c *auth.Credentials, owner *auth.UserNamespace, flag uint32) bool {
	requested := (flag >> 6) | (flag >> 3) | flag
	granted := p.Mode
	switch {
	case c.EffectiveUID == p.CUID || c.EffectiveUID == p.UID:
		granted >>= 6
	case c.InGroup(p.CGID) || c.InGroup(p.GID):
		granted >>= 3
	}
	if requested&^granted&0o7 != 0 && !c.HasCapabilityIn(unix.CAP_IPC_OWNER, owner) {
		return false
	}
	return true
}

// PermView is an ipc64_perm as the caller's user namespace sees it.
func (p *Perm) encode(b []byte, ns *auth.UserNamespace) {
	le32(b[0:], uint32(p.Key))
	le32(b[4:], ns.UIDOf(p.UID))
	le32(b[8:], ns.GIDOf(p.GID))
	le32(b[12:], ns.UIDOf(p.CUID))
	le32(b[16:], ns.GIDOf(p.CGID))
	le32(b[20:], p.Mode)
	b[24], b[25] = byte(p.Seq), byte(p.Seq>>8)
}

// setFromIPCSet applies the uid, gid and mode of IPC_SET's ipc64_perm
// in b, read through the caller's user namespace (ipc_update_perm); ids
// that do not map give EINVAL and change nothing.
func (p *Perm) setFromIPCSet(b []byte, uns *auth.UserNamespace) error {
	uid, ok1 := uns.MapUIDToKernel(getLE32(b[4:]))
	gid, ok2 := uns.MapGIDToKernel(getLE32(b[8:]))
	if !ok1 || !ok2 {
		return unix.EINVAL
	}
	p.UID, p.GID = uid, gid
	p.Mode = p.Mode&^0o777 | getLE32(b[20:])&0o777
	return nil
}

// ipcObject is one object of a table.
type ipcObject interface {
	perm() *Perm
}

// table is the objects of one kind in a namespace.
type table struct {
	objs  map[int32]ipcObject // by index
	byKey map[int32]ipcObject
	seq   uint16
}

func newTable() table {
	return table{objs: make(map[int32]ipcObject), byKey: make(map[int32]ipcObject)}
}

// add gives o an index and id; ENOSPC when limit objects exist.
func (t *table) add(o ipcObject, limit int) error {
	if len(t.objs) >= limit || len(t.objs) >= maxIndex {
		return unix.ENOSPC
	}
	idx := int32(0)
	for ; idx < maxIndex; idx++ {
		if _, used := t.objs[idx]; !used {
			break
		}
	}
	p := o.perm()
	p.Seq = t.seq
	t.seq++ // wraps at IPCID_SEQ_MAX (65535) as Linux's does
	p.ID = idx + int32(p.Seq)<<seqShift
	t.objs[idx] = o
	if p.Key != IPCPrivate {
		t.byKey[p.Key] = o
	}
	return nil
}

// lookup finds the object with identifier id (EINVAL otherwise, as
// ipc_obtain_object_check).
func (t *table) lookup(id int32) (ipcObject, error) {
	if id < 0 {
		return nil, unix.EINVAL
	}
	o, ok := t.objs[id%maxIndex]
	if !ok || o.perm().ID != id {
		return nil, unix.EINVAL
	}
	return o, nil
}

// remove takes o out of the table; its key is free at once.
func (t *table) remove(o ipcObject) {
	p := o.perm()
	delete(t.objs, p.ID%maxIndex)
	if p.Key != IPCPrivate && t.byKey[p.Key] == o {
		delete(t.byKey, p.Key)
	}
}

// hideKey makes o unreachable by its key (IPC_RMID of an attached
// segment: Linux sets its key to IPC_PRIVATE).
func (t *table) hideKey(o ipcObject) {
	p := o.perm()
	if p.Key != IPCPrivate && t.byKey[p.Key] == o {
		delete(t.byKey, p.Key)
	}
	p.Key = IPCPrivate
}

// maxIdx is the highest index in use, or -1 (ipc_get_maxidx).
func (t *table) maxIdx() int32 {
	m := int32(-1)
	for idx := range t.objs {
		m = max(m, idx)
	}
	return m
}

// sorted returns the objects by index.
func (t *table) sorted() []ipcObject {
	idx := make([]int32, 0, len(t.objs))
	for i := range t.objs {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	out := make([]ipcObject, len(idx))
	for i, x := range idx {
		out[i] = t.objs[x]
	}
	return out
}

// get is ipcget: the object with key, or a new one made by create when
// key is IPC_PRIVATE or absent with IPC_CREAT. check runs on an existing
// object before the permission check (shm's size, sem's count).
func (t *table) get(c *auth.Credentials, owner *auth.UserNamespace, key int32, flag int, check func(ipcObject) error, create func() (ipcObject, error)) (ipcObject, error) {
	if key != IPCPrivate {
		if o, ok := t.byKey[key]; ok {
			if flag&IPCCreat != 0 && flag&IPCExcl != 0 {
				return nil, unix.EEXIST
			}
			if check != nil {
				if err := check(o); err != nil {
					return nil, err
				}
			}
			if !o.perm().allowed(c, owner, uint32(flag)&0o777) {
				return nil, unix.EACCES
			}
			return o, nil
		}
		if flag&IPCCreat == 0 {
			return nil, unix.ENOENT
		}
	}
	return create()
}

// newPerm returns the ipc_perm of a new object made by c.
func newPerm(c *auth.Credentials, key int32, flag int) Perm {
	return Perm{Key: key, UID: c.EffectiveUID, GID: c.EffectiveGID, CUID: c.EffectiveUID, CGID: c.EffectiveGID, Mode: uint32(flag) & 0o777}
}

// Limits are the kernel.shm*, kernel.sem and kernel.msg* sysctls of a
// namespace.
type Limits struct {
	ShmMax, ShmAll, ShmMni         uint64
	SemMsl, SemMns, SemOpm, SemMni int32
	MsgMax, MsgMnb, MsgMni         int32
	ShmRmidForced                  bool
	AutoMsgMni                     bool
}

// DefaultLimits are Linux's defaults.
func DefaultLimits() Limits {
	return Limits{
		ShmMax: 1<<64 - 1 - 1<<24, ShmAll: 1<<64 - 1 - 1<<24, ShmMni: 4096,
		SemMsl: 32000, SemMns: 1024000000, SemOpm: 500, SemMni: 32000,
		MsgMax: 8192, MsgMnb: 16384, MsgMni: 32000,
	}
}

// Namespace is the System V IPC state of one IPC namespace.
type Namespace struct {
	mf    *mm.MemoryFile
	owner *auth.UserNamespace
	now   func() time.Time

	mu sync.Mutex
	// limits, shm, sem and msg are guarded by mu.
	limits Limits
	shm    table
	sem    table
	msg    table
	// shmPages is the pages of every segment (shm_tot). Guarded by mu.
	shmPages uint64
}

// NewNamespace returns an empty IPC namespace owned by the user
// namespace owner whose segments take memory from mf.
func NewNamespace(mf *mm.MemoryFile, owner *auth.UserNamespace, now func() time.Time) *Namespace {
	return &Namespace{mf: mf, owner: owner, now: now, limits: DefaultLimits(),
		shm: newTable(), sem: newTable(), msg: newTable()}
}

// Limits returns the namespace's limits.
func (ns *Namespace) Limits() Limits {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.limits
}

// SetLimits changes the namespace's limits (writes to /proc/sys/kernel).
func (ns *Namespace) SetLimits(l Limits) {
	ns.mu.Lock()
	ns.limits = l
	ns.mu.Unlock()
}

func le32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func le64(b []byte, v uint64) {
	le32(b, uint32(v))
	le32(b[4:], uint32(v>>32))
}

func getLE32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func getLE64(b []byte) uint64 { return uint64(getLE32(b)) | uint64(getLE32(b[4:]))<<32 }

// LimitNames are the /proc/sys/kernel files of the IPC limits.
func LimitNames() []string {
	return []string{"shmmax", "shmall", "shmmni", "shm_rmid_forced", "sem", "msgmax", "msgmnb", "msgmni"}
}

// LimitText is the text of /proc/sys/kernel/NAME.
func (ns *Namespace) LimitText(name string) string {
	l := ns.Limits()
	b2i := map[bool]int{false: 0, true: 1}
	switch name {
	case "shmmax":
		return fmt.Sprintf("%d\n", l.ShmMax)
	case "shmall":
		return fmt.Sprintf("%d\n", l.ShmAll)
	case "shmmni":
		return fmt.Sprintf("%d\n", l.ShmMni)
	case "shm_rmid_forced":
		return fmt.Sprintf("%d\n", b2i[l.ShmRmidForced])
	case "sem":
		return fmt.Sprintf("%d\t%d\t%d\t%d\n", l.SemMsl, l.SemMns, l.SemOpm, l.SemMni)
	case "msgmax":
		return fmt.Sprintf("%d\n", l.MsgMax)
	case "msgmnb":
		return fmt.Sprintf("%d\n", l.MsgMnb)
	case "msgmni":
		return fmt.Sprintf("%d\n", l.MsgMni)
	}
	return ""
}

// SetLimitText parses a write to /proc/sys/kernel/NAME.
func (ns *Namespace) SetLimitText(name, text string) error {
	f := strings.Fields(text)
	var v []int64
	for _, s := range f {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(s, 10, 64)
			if uerr != nil {
				return unix.EINVAL
			}
			n = int64(u)
		}
		v = append(v, n)
	}
	want := 1
	if name == "sem" {
		want = 4
	}
	if len(v) < want {
		return unix.EINVAL
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	l := &ns.limits
	i32 := func(x int64) (int32, error) {
		if x < 0 || x > 1<<31-1 {
			return 0, unix.EINVAL
		}
		return int32(x), nil
	}
	var err error
	switch name {
	case "shmmax":
		l.ShmMax = uint64(v[0])
	case "shmall":
		l.ShmAll = uint64(v[0])
	case "shmmni":
		if v[0] < 0 || v[0] > maxIndex {
			return unix.EINVAL
		}
		l.ShmMni = uint64(v[0])
	case "shm_rmid_forced":
		l.ShmRmidForced = v[0] != 0
	case "sem":
		var s [4]int32
		for i := range s {
			if s[i], err = i32(v[i]); err != nil {
				return err
			}
		}
		if s[3] > maxIndex {
			return unix.EINVAL
		}
		l.SemMsl, l.SemMns, l.SemOpm, l.SemMni = s[0], s[1], s[2], s[3]
	case "msgmax":
		l.MsgMax, err = i32(v[0])
	case "msgmnb":
		l.MsgMnb, err = i32(v[0])
	case "msgmni":
		if v[0] > maxIndex {
			return unix.EINVAL
		}
		l.MsgMni, err = i32(v[0])
	}
	return err
}

// ProcText is /proc/sysvipc/KIND as a reader in user namespace uns sees
// it; pidOf numbers a (global) pid as the reader's PID namespace does.
func (ns *Namespace) ProcText(kind string, uns *auth.UserNamespace, pidOf func(int32) int32) string {
	switch kind {
	case "shm":
		return ns.ShmProcText(uns, pidOf)
	case "sem":
		ns.mu.Lock()
		defer ns.mu.Unlock()
		var b strings.Builder
		b.WriteString("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n")
		for _, o := range ns.sem.sorted() {
			s := o.(*SemSet)
			fmt.Fprintf(&b, "%10d %10d  %4o %10d %5d %5d %5d %5d %10d %10d\n", s.Key, s.ID, s.Mode, len(s.sems),
				uns.UIDOf(s.UID), uns.GIDOf(s.GID), uns.UIDOf(s.CUID), uns.GIDOf(s.CGID), unixTime(s.otime), unixTime(s.ctime))
		}
		return b.String()
	case "msg":
		ns.mu.Lock()
		defer ns.mu.Unlock()
		var b strings.Builder
		b.WriteString("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n")
		for _, o := range ns.msg.sorted() {
			q := o.(*MsgQueue)
			fmt.Fprintf(&b, "%10d %10d  %4o  %10d %10d %5d %5d %5d %5d %5d %5d %10d %10d %10d\n", q.Key, q.ID, q.Mode, q.bytes, len(q.msgs),
				pidOf(q.lspid), pidOf(q.lrpid), uns.UIDOf(q.UID), uns.GIDOf(q.GID), uns.UIDOf(q.CUID), uns.GIDOf(q.CGID),
				unixTime(q.stime), unixTime(q.rtime), unixTime(q.ctime))
		}
		return b.String()
	}
	return ""
}
