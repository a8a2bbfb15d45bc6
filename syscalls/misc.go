package syscalls

import (
	"encoding/binary"
	"math/bits"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/platform"
)

// personality(2): any value is accepted, as on Linux; 0xffffffff only
// queries.
func personality(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p := uint32(a[0])
	if p == kernel.PersonalityQuery {
		return uintptr(t.Personality()), nil
	}
	return uintptr(t.SetPersonality(p)), nil
}

// ioprio_set/ioprio_get "which" values.
const (
	ioprioWhoProcess = 1
	ioprioWhoPgrp    = 2
	ioprioWhoUser    = 3
)

// ioprioTargets returns the tasks which/who name (setpriority's rules,
// except that IOPRIO_WHO_PROCESS names one thread).
func ioprioTargets(t *kernel.Task, which, who int) ([]*kernel.Task, error) {
	switch which {
	case ioprioWhoProcess:
		if who == 0 {
			return []*kernel.Task{t}, nil
		}
		x := t.TaskByPID(int32(who))
		if x == nil {
			return nil, unix.ESRCH
		}
		return []*kernel.Task{x}, nil
	case ioprioWhoPgrp:
		return t.TasksOf(unix.PRIO_PGRP, who)
	case ioprioWhoUser:
		return t.TasksOf(unix.PRIO_USER, who)
	}
	return nil, unix.EINVAL
}

// ioprioCheck is Linux's ioprio_check_cap.
func ioprioCheck(t *kernel.Task, prio int) error {
	class, level := prio>>13&7, prio&7
	c := t.Credentials()
	switch class {
	case kernel.IOPrioClassRT:
		if !c.HasGlobalCapability(unix.CAP_SYS_NICE) && !c.HasGlobalCapability(unix.CAP_SYS_ADMIN) {
			return unix.EPERM
		}
	case kernel.IOPrioClassBE, kernel.IOPrioClassIdle:
	case kernel.IOPrioClassNone:
		if level != 0 {
			return unix.EINVAL
		}
	default:
		return unix.EINVAL
	}
	return nil
}

func ioprioSet(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	which, who, prio := int(int32(a[0])), int(int32(a[1])), int(int32(a[2]))
	if err := ioprioCheck(t, prio); err != nil {
		return 0, err
	}
	tasks, err := ioprioTargets(t, which, who)
	if err != nil {
		return 0, err
	}
	var last error
	for _, x := range tasks {
		if err := x.SetIOPrio(t, prio); err != nil {
			last = err
		}
	}
	return 0, last
}

func ioprioGet(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	which, who := int(int32(a[0])), int(int32(a[1]))
	tasks, err := ioprioTargets(t, which, who)
	if err != nil {
		return 0, err
	}
	if which == ioprioWhoProcess {
		return uintptr(tasks[0].IOPrio()), nil
	}
	best := -1
	for _, x := range tasks {
		if p := x.EffectiveIOPrio(); best < 0 || p < best {
			best = p
		}
	}
	return uintptr(best), nil
}

// kcmpEpollTFD is KCMP_EPOLL_TFD.
const kcmpEpollTFD = 7

func kcmp(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	t1, t2 := t.TaskByPID(int32(a[0])), t.TaskByPID(int32(a[1]))
	if t1 == nil || t2 == nil {
		return 0, unix.ESRCH
	}
	if !mayReadTask(t, t1) || !mayReadTask(t, t2) {
		return 0, unix.EPERM
	}
	typ := int(int32(a[2]))
	var p1, p2 uintptr
	switch typ {
	case kernel.KcmpFile:
		f1, err1 := kcmpFile(t1, a[3])
		f2, err2 := kcmpFile(t2, a[4])
		if err1 != nil || err2 != nil {
			return 0, unix.EBADF
		}
		p1, p2 = f1, f2
	case kcmpEpollTFD:
		f1, err := kcmpFile(t1, a[3])
		if err != nil {
			return 0, unix.EBADF
		}
		f2, err := kcmpEpollTarget(t, t2, a[4])
		if err != nil {
			return 0, err
		}
		p1, p2 = f1, f2
	default:
		var err error
		if p1, err = t1.KcmpObject(typ); err != nil {
			return 0, err
		}
		if p2, err = t2.KcmpObject(typ); err != nil {
			return 0, err
		}
	}
	k := t.Kernel()
	o1, o2 := k.KcmpObfuscate(p1, typ), k.KcmpObfuscate(p2, typ)
	switch {
	case o1 < o2:
		return 1, nil
	case o1 > o2:
		return 2, nil
	}
	return 0, nil
}

// kcmpFile returns the identity of x's open file description at fd.
func kcmpFile(x *kernel.Task, fd uintptr) (uintptr, error) {
	fdt := x.FDTable()
	if fdt == nil || fd > 1<<31-1 {
		return 0, unix.EBADF
	}
	f, _, err := fdt.Get(int32(fd))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(x)
	return kernel.PointerOf(f), nil
}

// kcmpEpollTarget returns the identity of the file that x's epoll
// instance watches as named by the struct kcmp_epoll_slot at addr: its
// efd, the target's fd number tfd, and toff, which of the items added
// with tfd (in the order of their files' identities, as Linux's tree
// keeps them).
func kcmpEpollTarget(t, x *kernel.Task, addr uintptr) (uintptr, error) {
	// struct kcmp_epoll_slot is three __u32: efd, tfd, toff.
	var b [12]byte
	if _, err := t.CopyIn(addr, b[:]); err != nil {
		return 0, unix.EFAULT
	}
	efd, tfd := binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint32(b[4:])
	toff := uint64(binary.LittleEndian.Uint32(b[8:]))
	fdt := x.FDTable()
	if fdt == nil || efd > 1<<31-1 {
		return 0, unix.EBADF
	}
	ef, _, err := fdt.Get(int32(efd))
	if err != nil {
		return 0, unix.EBADF
	}
	defer ef.DecRef(x)
	ep := ipc.EpollOf(ef)
	if ep == nil {
		return 0, unix.EINVAL
	}
	var ids []uintptr
	for _, f := range ep.TargetFiles(int32(tfd)) {
		ids = append(ids, kernel.PointerOf(f))
	}
	slices.Sort(ids)
	if toff >= uint64(len(ids)) {
		return 0, unix.ENOENT
	}
	return ids[toff], nil
}

// membarrier commands.
const (
	mbQuery                    = 0
	mbGlobal                   = 1 << 0
	mbGlobalExpedited          = 1 << 1
	mbRegisterGlobalExpedited  = 1 << 2
	mbPrivateExpedited         = 1 << 3
	mbRegisterPrivateExpedited = 1 << 4
	mbGetRegistrations         = 1 << 9
	// The SYNC_CORE and RSEQ commands (1<<5..1<<8) are not offered:
	// kite cannot make other CPUs serialise their instruction streams,
	// nor wait until the other threads' rseq critical sections have been
	// aborted. Linux built without them gives EINVAL.
	mbSupported = mbGlobal | mbGlobalExpedited | mbRegisterGlobalExpedited |
		mbPrivateExpedited | mbRegisterPrivateExpedited | mbGetRegistrations
	// mbFlagCPU is MEMBARRIER_CMD_FLAG_CPU, valid with the RSEQ command.
	mbFlagCPU = 1
)

func membarrier(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	cmd, flags := int(int32(a[0])), uint32(a[1])
	if flags != 0 {
		return 0, unix.EINVAL
	}
	tg := t.ThreadGroup()
	switch cmd {
	case mbQuery:
		return mbSupported, nil
	case mbGetRegistrations:
		return uintptr(tg.MembarrierRegistrations()), nil
	case mbRegisterGlobalExpedited, mbRegisterPrivateExpedited:
		tg.MembarrierRegister(cmd)
		return 0, nil
	case mbPrivateExpedited:
		if tg.MembarrierRegistrations()&mbRegisterPrivateExpedited == 0 {
			return 0, unix.EPERM
		}
		if t.Kernel().NumCPU() == 1 || tg.NumTasks() == 1 {
			// No other thread of the process runs beside the caller.
			return 0, nil
		}
	case mbGlobal, mbGlobalExpedited:
		if t.Kernel().NumCPU() == 1 {
			return 0, nil
		}
	default:
		return 0, unix.EINVAL
	}
	if err := platform.MemoryBarrier(); err != nil {
		return 0, unix.EINVAL
	}
	return 0, nil
}

// Memory policy modes and flags (include/uapi/linux/mempolicy.h).
const (
	mpolDefault       = 0
	mpolPreferred     = 1
	mpolBind          = 2
	mpolInterleave    = 3
	mpolLocal         = 4
	mpolPreferredMany = 5
	mpolWeighted      = 6
	mpolMax           = 7

	mpolFStaticNodes   = 1 << 15
	mpolFRelativeNodes = 1 << 14
	mpolFNumaBalancing = 1 << 13
	mpolModeFlags      = mpolFStaticNodes | mpolFRelativeNodes | mpolFNumaBalancing

	// get_mempolicy flags.
	mpolFNode        = 1
	mpolFAddr        = 2
	mpolFMemsAllowed = 4

	// mbind and move_pages flags.
	mpolMFStrict  = 1
	mpolMFMove    = 2
	mpolMFMoveAll = 4

	// maxNumNodes is MAX_NUMNODES of a kernel built with NODES_SHIFT 10.
	maxNumNodes = 1024
	// onlineNodes is the node mask kite has: node 0.
	onlineNodes = 1
)

// nodeMask is a node mask given by an application: its first word, and
// whether any node beyond it is set.
type nodeMask struct {
	first uint64
	rest  bool
}

// any reports whether the mask names a node.
func (m nodeMask) any() bool { return m.first != 0 || m.rest }

// copyInNodes is Linux's get_nodes: maxnode-1 bits at addr; bits at or
// beyond MAX_NUMNODES must be clear.
func copyInNodes(t *kernel.Task, addr, maxnode uintptr) (nodeMask, error) {
	var m nodeMask
	maxnode--
	if maxnode == 0 || addr == 0 {
		return m, nil
	}
	if maxnode > 4096*8 {
		return m, unix.EINVAL
	}
	words := (maxnode + 63) / 64
	b := make([]byte, words*8)
	if err := copyInFull(t, addr, b); err != nil {
		return m, err
	}
	for i := uintptr(0); i < words; i++ {
		w := binary.LittleEndian.Uint64(b[i*8:])
		if nbits := maxnode - i*64; nbits < 64 {
			w &= 1<<nbits - 1
		}
		if w == 0 {
			continue
		}
		if i*64+uintptr(63-bits.LeadingZeros64(w)) >= maxNumNodes {
			return m, unix.EINVAL
		}
		if i == 0 {
			m.first = w
		} else {
			m.rest = true
		}
	}
	return m, nil
}

// sanitizeMpol splits mode into the mode and its flags (Linux's
// sanitize_mpol_flags).
func sanitizeMpol(mode int) (int, int, error) {
	flags := mode & mpolModeFlags
	mode &^= mpolModeFlags
	if mode < 0 || mode >= mpolMax {
		return 0, 0, unix.EINVAL
	}
	if flags&(mpolFStaticNodes|mpolFRelativeNodes) == mpolFStaticNodes|mpolFRelativeNodes {
		return 0, 0, unix.EINVAL
	}
	if flags&mpolFNumaBalancing != 0 && mode != mpolBind && mode != mpolPreferredMany {
		return 0, 0, unix.EINVAL
	}
	return mode, flags, nil
}

// newMempolicy is Linux's mpol_new and mpol_set_nodemask on a machine
// with one node: it returns the mode (with flags) and the node mask
// get_mempolicy reports.
func newMempolicy(mode, flags int, nodes nodeMask) (int, uint64, error) {
	switch {
	case mode == mpolDefault:
		if nodes.any() {
			return 0, 0, unix.EINVAL
		}
		return mpolDefault, 0, nil
	case mode == mpolPreferred && !nodes.any():
		if flags&(mpolFStaticNodes|mpolFRelativeNodes) != 0 {
			return 0, 0, unix.EINVAL
		}
		return mpolLocal | flags, 0, nil
	case mode == mpolLocal:
		if nodes.any() || flags&(mpolFStaticNodes|mpolFRelativeNodes) != 0 {
			return 0, 0, unix.EINVAL
		}
		return mpolLocal | flags, 0, nil
	case !nodes.any():
		return 0, 0, unix.EINVAL
	}
	// The nodes the policy uses: those given that are online, or with
	// MPOL_F_RELATIVE_NODES the given ones folded onto the online ones.
	var eff uint64
	if flags&mpolFRelativeNodes != 0 {
		eff = onlineNodes
	} else {
		eff = nodes.first & onlineNodes
	}
	if eff == 0 {
		return 0, 0, unix.EINVAL
	}
	report := eff
	if flags&(mpolFStaticNodes|mpolFRelativeNodes) != 0 {
		report = nodes.first
	}
	return mode | flags, report, nil
}

func setMempolicy(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	mode, flags, err := sanitizeMpol(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	nodes, err := copyInNodes(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	pol, mask, err := newMempolicy(mode, flags, nodes)
	if err != nil {
		return 0, err
	}
	t.SetMemPolicy(pol, mask)
	return 0, nil
}

func getMempolicy(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	policyAddr, maskAddr, maxnode, addr, flags := a[0], a[1], a[2], a[3], a[4]
	if maskAddr != 0 && maxnode < 1 {
		return 0, unix.EINVAL
	}
	if flags&^(mpolFNode|mpolFAddr|mpolFMemsAllowed) != 0 {
		return 0, unix.EINVAL
	}
	var pol int
	var mask uint64
	switch {
	case flags&mpolFMemsAllowed != 0:
		if flags&(mpolFNode|mpolFAddr) != 0 {
			return 0, unix.EINVAL
		}
		mask = onlineNodes
	case flags&mpolFAddr != 0:
		p, err := t.MemoryManager().PolicyAt(addr)
		if err != nil {
			return 0, err
		}
		pol, mask = p.Mode, p.Nodes
		if flags&mpolFNode != 0 {
			// The node of the page at addr, faulted in as Linux's
			// lookup_node does.
			var b [1]byte
			if _, err := t.CopyIn(addr, b[:]); err != nil {
				return 0, unix.EFAULT
			}
			pol = 0
		}
	case addr != 0:
		return 0, unix.EINVAL
	default:
		pol, mask = t.MemPolicy()
		if flags&mpolFNode != 0 {
			if m := pol &^ mpolModeFlags; m != mpolInterleave && m != mpolWeighted {
				return 0, unix.EINVAL
			}
			pol = 0 // the next interleave node
		}
	}
	if policyAddr != 0 {
		if err := copyOutU32(t, policyAddr, uint32(pol)); err != nil {
			return 0, err
		}
	}
	if maskAddr != 0 {
		return 0, copyOutNodes(t, maskAddr, maxnode, mask)
	}
	return 0, nil
}

// copyOutNodes is Linux's copy_nodes_to_user with one node id
// (nr_node_ids = 1): the first word holds the mask, the rest of the
// maxnode-1 bits (rounded to words) are cleared.
func copyOutNodes(t *kernel.Task, addr, maxnode uintptr, mask uint64) error {
	n := (maxnode - 1 + 63) / 64 * 8
	if n == 0 {
		return nil
	}
	if n > 4096 {
		return unix.EINVAL
	}
	b := make([]byte, n)
	binary.LittleEndian.PutUint64(b, mask)
	return copyOutFull(t, addr, b)
}

func mbind(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	start, length, flags := a[0], a[1], int(a[5])
	mode, mflags, err := sanitizeMpol(int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	nodes, err := copyInNodes(t, a[3], a[4])
	if err != nil {
		return 0, err
	}
	if flags&^(mpolMFStrict|mpolMFMove|mpolMFMoveAll) != 0 {
		return 0, unix.EINVAL
	}
	if flags&mpolMFMoveAll != 0 && !t.Credentials().HasGlobalCapability(unix.CAP_SYS_NICE) {
		return 0, unix.EPERM
	}
	if start&4095 != 0 {
		return 0, unix.EINVAL
	}
	length = (length + 4095) &^ 4095
	end := start + length
	if end < start {
		return 0, unix.EINVAL
	}
	if end == start {
		return 0, nil
	}
	pol, mask, err := newMempolicy(mode, mflags, nodes)
	if err != nil {
		return 0, err
	}
	return 0, t.MemoryManager().SetPolicy(start, end, mm.Policy{Mode: pol, Nodes: mask})
}

func setMempolicyHomeNode(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	start, length, node, flags := a[0], a[1], a[2], a[3]
	if start&4095 != 0 || flags != 0 {
		return 0, unix.EINVAL
	}
	if node >= maxNumNodes || onlineNodes&(1<<node) == 0 {
		return 0, unix.EINVAL
	}
	length = (length + 4095) &^ 4095
	end := start + length
	if end < start {
		return 0, unix.EINVAL
	}
	// The home node can only be node 0, where all memory already is;
	// what remains is Linux's check of the policies in the range.
	for _, p := range t.MemoryManager().PoliciesIn(start, end) {
		if m := p.Mode &^ mpolModeFlags; p != (mm.Policy{}) && m != mpolBind && m != mpolPreferredMany {
			return 0, unix.EOPNOTSUPP
		}
	}
	return 0, nil
}

// moveTarget finds the process migrate_pages and move_pages act on, with
// ptrace's read access rule.
func moveTarget(t *kernel.Task, pid int32) (*kernel.Task, error) {
	if pid == 0 {
		return t, nil
	}
	x := t.TaskByPID(pid)
	if x == nil {
		return nil, unix.ESRCH
	}
	if !mayReadTask(t, x) {
		return nil, unix.EPERM
	}
	return x, nil
}

func migratePages(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if _, err := copyInNodes(t, a[2], a[1]); err != nil {
		return 0, err
	}
	nw, err := copyInNodes(t, a[3], a[1])
	if err != nil {
		return 0, err
	}
	if _, err := moveTarget(t, int32(a[0])); err != nil {
		return 0, err
	}
	if (nw.first&^onlineNodes != 0 || nw.rest) && !t.Credentials().HasGlobalCapability(unix.CAP_SYS_NICE) {
		return 0, unix.EPERM
	}
	if nw.first&onlineNodes == 0 {
		return 0, unix.EINVAL
	}
	// Every page is on node 0 already: none is left unmoved.
	return 0, nil
}

func movePages(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, count, pages, nodes, status, flags := int32(a[0]), a[1], a[2], a[3], a[4], int(a[5])
	if flags&^(mpolMFMove|mpolMFMoveAll) != 0 {
		return 0, unix.EINVAL
	}
	if flags&mpolMFMoveAll != 0 && !t.Credentials().HasGlobalCapability(unix.CAP_SYS_NICE) {
		return 0, unix.EPERM
	}
	x, err := moveTarget(t, pid)
	if err != nil {
		return 0, err
	}
	m := x.MemoryManager()
	for i := uintptr(0); i < count; i++ {
		p, err := copyInU64(t, pages+8*i)
		if err != nil {
			return 0, err
		}
		if nodes != 0 {
			n, err := copyInU32(t, nodes+4*i)
			if err != nil {
				return 0, err
			}
			if node := int32(n); node < 0 || node >= maxNumNodes || onlineNodes&(1<<uint(node)) == 0 {
				return 0, unix.ENODEV
			}
		}
		st := int32(0)
		present, err := m.PagePresent(uintptr(p))
		switch {
		case err != nil:
			st = -int32(unix.EFAULT)
		case !present:
			st = -int32(unix.ENOENT)
		}
		if err := copyOutU32(t, status+4*i, uint32(st)); err != nil {
			return 0, err
		}
		if i%1024 == 1023 && t.Interrupted() {
			return 0, unix.EINTR
		}
	}
	return 0, nil
}

func getcpu(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	cpu := t.CPU()
	if a[0] != 0 {
		if err := copyOutU32(t, a[0], uint32(cpu)); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		if err := copyOutU32(t, a[1], 0); err != nil {
			return 0, err
		}
	}
	return 0, nil
}
