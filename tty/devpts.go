package tty

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// devptsMagic is DEVPTS_SUPER_MAGIC.
const devptsMagic = 0x1cd1

// DevptsOptions are the mount options of a devpts instance.
type DevptsOptions struct {
	// UID and GID own new slaves when SetUID/SetGID (else the opener's
	// fs ids do).
	UID, GID       uint32
	SetUID, SetGID bool
	// Mode is the permission bits of new slaves (default 0600).
	Mode uint32
	// PtmxMode is the permission bits of the instance's ptmx node
	// (default 0000).
	PtmxMode uint32
	// Max bounds the number of pseudo-terminals.
	Max int
}

// ParseDevptsOptions parses mount(2) data for devpts: newinstance,
// ptmxmode=, mode=, gid=, uid=, max= (octal modes as Linux).
func ParseDevptsOptions(data string) (DevptsOptions, error) {
	o := DevptsOptions{Mode: 0o600, Max: maxPTYs}
	for _, opt := range strings.Split(data, ",") {
		if opt == "" || opt == "newinstance" {
			continue
		}
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "mode", "ptmxmode":
			n, err := strconv.ParseUint(v, 8, 32)
			if err != nil {
				return o, unix.EINVAL
			}
			if k == "mode" {
				o.Mode = uint32(n) & 0o7777
			} else {
				o.PtmxMode = uint32(n) & 0o7777
			}
		case "uid", "gid":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return o, unix.EINVAL
			}
			if k == "uid" {
				o.UID, o.SetUID = uint32(n), true
			} else {
				o.GID, o.SetGID = uint32(n), true
			}
		case "max":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return o, unix.EINVAL
			}
			o.Max = min(n, maxPTYs)
		default:
			// Linux ignores options it does not know.
		}
	}
	return o, nil
}

// Devpts is one instance of the devpts file system: the slaves of the
// pseudo-terminals opened through its ptmx.
type Devpts struct {
	vfs *vfs.VirtualFilesystem
	opt DevptsOptions
	// sessions is the kernel's job control (nil: none).
	sessions Sessions

	root *devptsDir
	ptmx *ptmxInode

	// mu guards terms.
	mu    sync.Mutex
	terms map[int]*Terminal
}

// NewDevpts returns a new devpts instance whose terminals do job control
// through sessions (nil: none).
func NewDevpts(v *vfs.VirtualFilesystem, opt DevptsOptions, sessions Sessions) *Devpts {
	now := v.NowTimespec()
	d := &Devpts{vfs: v, opt: opt, sessions: sessions, terms: map[int]*Terminal{}}
	d.root = &devptsDir{d: d, attr: attr{ino: 1, mode: unix.S_IFDIR | 0o755, atime: now, mtime: now, ctime: now}}
	d.ptmx = &ptmxInode{d: d, attr: attr{ino: 2, mode: unix.S_IFCHR | opt.PtmxMode, atime: now, mtime: now, ctime: now}}
	return d
}

// RegisterDevpts makes "devpts" mountable in v (every mount a new
// instance, as Linux since 4.7, with def's job control) and makes
// /dev/ptmx (5:2) open def, the instance kite mounts at /dev/pts.
func RegisterDevpts(v *vfs.VirtualFilesystem, def *Devpts) {
	v.RegisterFilesystemType("devpts", func(_ vfs.Context, _ string, _ uint32, data string) (vfs.Filesystem, error) {
		opt, err := ParseDevptsOptions(data)
		if err != nil {
			return nil, err
		}
		return NewDevpts(v, opt, def.sessions), nil
	})
	v.RegisterDevice(unix.S_IFCHR, ptmxMajor, ptmxMinor, func(ctx vfs.Context, _ uint64, flags int) (vfs.FileOperations, error) {
		if def == nil {
			return nil, unix.ENODEV
		}
		return def.openMaster(ctx, flags)
	})
}

// Name implements vfs.Filesystem.
func (d *Devpts) Name() string { return "devpts" }

// Root implements vfs.Filesystem.
func (d *Devpts) Root(vfs.Context) (vfs.Inode, error) { return d.root, nil }

// Statfs implements vfs.Filesystem.
func (d *Devpts) Statfs(vfs.Context) (vfs.Statfs, error) {
	return vfs.Statfs{Type: devptsMagic, Bsize: 4096, Frsize: 4096, NameLen: vfs.NameMax, Flags: unix.ST_NOSUID | unix.ST_NOEXEC}, nil
}

// openMaster makes a new pseudo-terminal (opening ptmx).
func (d *Devpts) openMaster(ctx vfs.Context, flags int) (vfs.FileOperations, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.terms) >= d.opt.Max {
		return nil, unix.ENOSPC
	}
	idx := 0
	for d.terms[idx] != nil {
		idx++
	}
	now := d.vfs.NowTimespec()
	c := ctx.Credentials()
	t := &Terminal{
		index: idx, pts: d, locked: true, sessions: d.sessions,
		slaveUID: c.FSUID, slaveGID: c.FSGID, slaveMode: d.opt.Mode,
		atime: now, mtime: now, ctime: now,
	}
	if d.opt.SetUID {
		t.slaveUID = d.opt.UID
	}
	if d.opt.SetGID {
		t.slaveGID = d.opt.GID
	}
	t.ld.termios = slaveTermios()
	d.terms[idx] = t
	return &masterFile{t: t}, nil
}

// remove drops t's slave node (its master closed).
func (d *Devpts) remove(t *Terminal) {
	d.mu.Lock()
	if d.terms[t.index] == t {
		delete(d.terms, t.index)
	}
	d.mu.Unlock()
}

func (d *Devpts) lookup(idx int) *Terminal {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.terms[idx]
}

// openSlave opens t's slave; a session leader without a controlling
// terminal acquires it unless flags has O_NOCTTY.
func (d *Devpts) openSlave(ctx vfs.Context, t *Terminal, flags int) (vfs.FileOperations, error) {
	admin := ctx.Credentials().EffectiveUID == 0 // CAP_SYS_ADMIN until capabilities exist
	t.mu.Lock()
	if t.locked || t.masterClosed {
		t.mu.Unlock()
		return nil, unix.EIO
	}
	if t.exclusive && !admin {
		t.mu.Unlock()
		return nil, unix.EBUSY
	}
	t.slaveOpens++
	t.slaveOpened = true
	free := t.session == 0
	t.mu.Unlock()
	if flags&unix.O_NOCTTY == 0 && free {
		if p := processOf(d.sessions, ctx); p != nil && p.IsSessionLeader() && p.ControllingTerminal() == nil {
			sid, pgrp := p.SessionID(), p.ProcessGroupID()
			t.mu.Lock()
			if t.session == 0 {
				t.session, t.pgrp = sid, pgrp
				t.mu.Unlock()
				p.SetControllingTerminal(t)
			} else {
				t.mu.Unlock()
			}
		}
	}
	return &slaveFile{t: t}, nil
}

// openSlaveFile opens t's slave as a file at its /dev/pts path when the
// instance is mounted there, for TIOCGPTPEER and /dev/tty.
func (d *Devpts) openSlaveFile(ctx vfs.Context, t *Terminal, flags int) (*vfs.File, error) {
	ops, err := d.openSlave(ctx, t, flags|unix.O_NOCTTY)
	if err != nil {
		return nil, err
	}
	return d.vfs.NewAnonymousFile(ctx, t.Name(), &slaveInode{t: t}, ops, flags)
}

// attr is the changeable attributes of a devpts node.
type attr struct {
	ino uint64
	// mu guards the fields below.
	mu                  sync.Mutex
	mode, uid, gid      uint32
	atime, mtime, ctime unix.Timespec
}

func (a *attr) stat() vfs.Stat {
	a.mu.Lock()
	defer a.mu.Unlock()
	return vfs.Stat{Ino: a.ino, Nlink: 1, Mode: a.mode, UID: a.uid, GID: a.gid, Blksize: 1024, Atime: a.atime, Mtime: a.mtime, Ctime: a.ctime}
}

func (a *attr) setStat(s *vfs.SetStat) error {
	if s.Mask&unix.STATX_SIZE != 0 {
		return unix.EINVAL
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	applySetStat(s, &a.mode, &a.uid, &a.gid, &a.atime, &a.mtime, &a.ctime)
	return nil
}

func applySetStat(s *vfs.SetStat, mode, uid, gid *uint32, atime, mtime, ctime *unix.Timespec) {
	if s.Mask&unix.STATX_MODE != 0 {
		*mode = *mode&unix.S_IFMT | s.Mode&0o7777
	}
	if s.Mask&unix.STATX_UID != 0 {
		*uid = s.UID
	}
	if s.Mask&unix.STATX_GID != 0 {
		*gid = s.GID
	}
	if s.Mask&unix.STATX_ATIME != 0 {
		*atime = s.Atime
	}
	if s.Mask&unix.STATX_MTIME != 0 {
		*mtime = s.Mtime
	}
	*ctime = s.Ctime
}

// devptsDir is the root directory: ptmx and one node per pseudo-terminal.
type devptsDir struct {
	vfs.InodeDefaults
	d *Devpts
	attr
}

// Stat implements vfs.Inode.
func (r *devptsDir) Stat(vfs.Context) (vfs.Stat, error) {
	st := r.stat()
	st.Nlink = 2
	return st, nil
}

// SetStat implements vfs.Inode.
func (r *devptsDir) SetStat(_ vfs.Context, s *vfs.SetStat) error { return r.setStat(s) }

// Lookup implements vfs.Inode.
func (r *devptsDir) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	if name == "ptmx" {
		return r.d.ptmx, nil
	}
	idx, err := strconv.Atoi(name)
	if err != nil || idx < 0 || strconv.Itoa(idx) != name {
		return nil, unix.ENOENT
	}
	t := r.d.lookup(idx)
	if t == nil {
		return nil, unix.ENOENT
	}
	return &slaveInode{t: t}, nil
}

// Revalidate implements vfs.Revalidator: a slave's node goes with its
// master.
func (r *devptsDir) Revalidate(_ vfs.Context, name string, child vfs.Inode) bool {
	s, ok := child.(*slaveInode)
	if !ok {
		return true
	}
	idx, _ := strconv.Atoi(name)
	return r.d.lookup(idx) == s.t
}

// Open implements vfs.Inode.
func (r *devptsDir) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &devptsDirFile{d: r.d}, nil
}

// devptsDirFile lists the directory: ptmx first, then the slaves by
// number.
type devptsDirFile struct {
	vfs.FileDefaults
	d *Devpts
}

// Read implements vfs.FileOperations.
func (f *devptsDirFile) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EISDIR
}

// IterDirents implements vfs.FileOperations.
func (f *devptsDirFile) IterDirents(_ vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	f.d.mu.Lock()
	idx := make([]int, 0, len(f.d.terms))
	for i := range f.d.terms {
		idx = append(idx, i)
	}
	f.d.mu.Unlock()
	sort.Ints(idx)
	names := []vfs.Dirent{{Name: "ptmx", Ino: 2, Type: unix.DT_CHR}}
	for _, i := range idx {
		names = append(names, vfs.Dirent{Name: strconv.Itoa(i), Ino: uint64(i) + 3, Type: unix.DT_CHR})
	}
	for k := off - 2; k >= 0 && k < int64(len(names)); k++ {
		d := names[k]
		d.NextOff = k + 3
		if !emit(d) {
			return nil
		}
	}
	return nil
}

// ptmxInode is the instance's own ptmx node.
type ptmxInode struct {
	vfs.InodeDefaults
	d *Devpts
	attr
}

// Stat implements vfs.Inode.
func (p *ptmxInode) Stat(vfs.Context) (vfs.Stat, error) {
	st := p.stat()
	st.Rdev = unix.Mkdev(ptmxMajor, ptmxMinor)
	return st, nil
}

// SetStat implements vfs.Inode.
func (p *ptmxInode) SetStat(_ vfs.Context, s *vfs.SetStat) error { return p.setStat(s) }

// OpenDevice implements vfs.DeviceInode.
func (p *ptmxInode) OpenDevice(ctx vfs.Context, flags int) (vfs.FileOperations, error) {
	return p.d.openMaster(ctx, flags)
}

// slaveInode is /dev/pts/N.
type slaveInode struct {
	vfs.InodeDefaults
	t *Terminal
}

// Stat implements vfs.Inode.
func (s *slaveInode) Stat(vfs.Context) (vfs.Stat, error) {
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	return vfs.Stat{
		Ino: uint64(t.index) + 3, Nlink: 1, Mode: unix.S_IFCHR | t.slaveMode,
		UID: t.slaveUID, GID: t.slaveGID, Rdev: t.Rdev(), Blksize: 1024,
		Atime: t.atime, Mtime: t.mtime, Ctime: t.ctime,
	}, nil
}

// SetStat implements vfs.Inode.
func (s *slaveInode) SetStat(_ vfs.Context, st *vfs.SetStat) error {
	if st.Mask&unix.STATX_SIZE != 0 {
		return unix.EINVAL
	}
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	mode := unix.S_IFCHR | t.slaveMode
	applySetStat(st, &mode, &t.slaveUID, &t.slaveGID, &t.atime, &t.mtime, &t.ctime)
	t.slaveMode = mode & 0o7777
	return nil
}

// OpenDevice implements vfs.DeviceInode.
func (s *slaveInode) OpenDevice(ctx vfs.Context, flags int) (vfs.FileOperations, error) {
	return s.t.pts.openSlave(ctx, s.t, flags)
}

// NewPair makes a pseudo-terminal for kite itself (the host terminal's
// stand-in): the unlocked master as a file and the terminal, whose slave
// is then opened by path (/dev/pts/N) or with OpenSlave.
func (d *Devpts) NewPair(ctx vfs.Context) (*vfs.File, *Terminal, error) {
	ops, err := d.openMaster(ctx, unix.O_RDWR)
	if err != nil {
		return nil, nil, err
	}
	m := ops.(*masterFile)
	m.t.mu.Lock()
	m.t.locked = false
	m.t.mu.Unlock()
	f, err := d.vfs.NewAnonymousFile(ctx, "/dev/ptmx", d.ptmx, ops, unix.O_RDWR)
	if err != nil {
		return nil, nil, err
	}
	return f, m.t, nil
}

// OpenSlave opens t's slave with flags: /dev/pts/N resolved in fsc when
// that is t's node, so that ttyname(3) finds it, else an anonymous file.
// It never makes t a controlling terminal.
func (t *Terminal) OpenSlave(ctx vfs.Context, fsc *vfs.FSContext, flags int) (*vfs.File, error) {
	flags |= unix.O_NOCTTY
	if fsc != nil {
		if f, err := t.pts.vfs.OpenAt(ctx, fsc, fsc.Root(), t.Name(), flags, 0); err == nil {
			if TerminalOf(f) == t {
				return f, nil
			}
			f.DecRef(ctx)
		}
	}
	return t.pts.openSlaveFile(ctx, t, flags)
}

// Attach makes t the controlling terminal of session sid with foreground
// group pgrp (kite's first process, whose ThreadGroup the kernel points
// at t).
func (t *Terminal) Attach(sid, pgrp int32) {
	t.mu.Lock()
	t.session, t.pgrp = sid, pgrp
	t.mu.Unlock()
}
