package vfs

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Limits of path names, as Linux's PATH_MAX and NAME_MAX.
const (
	PathMax = 4096
	NameMax = 255
	// MaxSymlinks is how many symbolic links one resolution may follow
	// before ELOOP.
	MaxSymlinks = 40
)

// DeviceOpener opens a character or block device node.
type DeviceOpener func(ctx Context, rdev uint64, flags int) (FileOperations, error)

// FIFOOpener opens a FIFO inode. The same inode gets the same pipe.
type FIFOOpener func(ctx Context, inode Inode, flags int) (FileOperations, error)

type devKey struct {
	kind  uint32 // S_IFCHR or S_IFBLK
	major uint32
	minor uint32 // ^0: every minor
}

// fsState is the VFS's record of one Filesystem value.
type fsState struct {
	fs   Filesystem
	dev  uint64
	root *Dentry
}

// VirtualFilesystem is the VFS of one kernel instance.
type VirtualFilesystem struct {
	// renameMu is held for writing by rename (which changes dentry parents
	// and names) and for reading by whoever reads them.
	renameMu sync.RWMutex

	// mountMu guards every Mount's parent, point and flags, and the maps
	// below.
	mountMu sync.Mutex
	// mounts maps a mount point (parent mount, dentry) to the mount on top
	// of it.
	mounts map[mountKey]*Mount
	// fss is every Filesystem ever mounted, with its device number.
	fss      map[Filesystem]*fsState
	nextDev  uint32
	mountSeq uint64
	// mountNSSeq numbers mount namespaces (mountapi.go).
	mountNSSeq uint64
	// groupIDs are the peer group ids in use (shared:N in mountinfo),
	// allocated smallest first from 1 as Linux does.
	groupIDs map[int]bool
	// detached are the file systems a mount of which was detached
	// while watches existed (notify.go's detachedLocked).
	detached map[*fsState]bool

	// regMu guards the registries and the clock.
	regMu      sync.RWMutex
	devices    map[devKey]DeviceOpener
	fifoOpener FIFOOpener
	clock      func() time.Time
	fsTypes    map[string]FilesystemType
	fsParams   map[string]FilesystemParams
	pageAlloc  PageAllocator
	memfdFS    Filesystem

	anonFS *fsState
	// hiddenRoot is the file system of the mounts that stand for Linux's
	// rootfs below a namespace whose root was lazily unmounted
	// (rootfs.go); nil until the first. Guarded by mountMu.
	hiddenRoot *fsState
	// anonIno numbers the inodes of pseudo file systems (pipefs,
	// anon_inodefs, sockfs), as Linux's get_next_ino.
	anonIno atomic.Uint64

	// writeMu guards writeCounts: per inode, writers (> 0) or deniers
	// (< 0) of write access (see writeaccess.go); and readCounts, the
	// read-only opens of regular files (lease.go).
	writeMu     sync.Mutex
	writeCounts map[Inode]int
	readCounts  map[Inode]int

	// dnotifyMu guards dnotify (dnotify.go).
	dnotifyMu sync.Mutex
	dnotify   dnotifyState

	// lease is the lease settings and count, guarded by locksMu; leaseN
	// is lease.n, read without the lock.
	lease  leaseState
	leaseN atomic.Int32

	// cacheMu guards caches, the page caches of inodes of file systems
	// that keep their data elsewhere (pagecache.go); nCaches counts them
	// (read without the lock to skip it when there are none).
	cacheMu sync.Mutex
	caches  map[Inode]*fileCache
	nCaches atomic.Int32

	// locksMu guards locks, the file locks and leases of every inode
	// that has some, and lease.
	locksMu sync.Mutex
	locks   map[Inode]*inodeLocks

	// ioBufs holds kernel buffers of IOChunk bytes (*[]byte) that
	// reads and writes of files without a way to move their data in
	// place copy through (fileio.go), so that each call does not
	// allocate (and the collector free) 64 KiB.
	ioBufs sync.Pool

	// sockMu guards sockets, the endpoints bound to S_IFSOCK inodes
	// (socket.go).
	sockMu  sync.Mutex
	sockets map[Inode]any

	// notify is the inotify watch lists (notify.go).
	notify notifyState
}

// New returns an empty VFS.
func New() *VirtualFilesystem {
	v := &VirtualFilesystem{
		mounts:  make(map[mountKey]*Mount),
		fss:     make(map[Filesystem]*fsState),
		devices: make(map[devKey]DeviceOpener),
		clock:   time.Now,
		nextDev: 1,
	}
	v.anonFS = v.fsStateLocked(anonFilesystem{})
	v.anonIno.Store(firstAnonIno - 1)
	v.lease.breakTime = 45 // Linux's default lease-break-time
	return v
}

// firstAnonIno is the first pseudo inode number: on a booted Linux the
// first programs' pipes and sockets already have numbers of several
// digits, and tools count on it (net-tools' netstat -p takes a
// socket:[N] link of fewer than 11 characters for no socket).
const firstAnonIno = 1000

// SetClock sets the clock used for timestamps (the kernel's realtime
// clock).
func (v *VirtualFilesystem) SetClock(now func() time.Time) {
	v.regMu.Lock()
	v.clock = now
	v.regMu.Unlock()
}

// Now returns the current time of the VFS's clock.
func (v *VirtualFilesystem) Now() time.Time {
	v.regMu.RLock()
	c := v.clock
	v.regMu.RUnlock()
	return c()
}

// NowTimespec returns Now as a unix.Timespec.
func (v *VirtualFilesystem) NowTimespec() unix.Timespec {
	return unix.NsecToTimespec(v.Now().UnixNano())
}

// RegisterDevice makes opener the driver of device nodes of type kind
// (unix.S_IFCHR or unix.S_IFBLK) with the given major number and minor
// number, or every minor number if minor is -1.
func (v *VirtualFilesystem) RegisterDevice(kind uint32, major uint32, minor int, opener DeviceOpener) {
	k := devKey{kind: kind, major: major, minor: ^uint32(0)}
	if minor >= 0 {
		k.minor = uint32(minor)
	}
	v.regMu.Lock()
	v.devices[k] = opener
	v.regMu.Unlock()
}

// SetFIFOOpener installs the opener of FIFO inodes (fs/pipe).
func (v *VirtualFilesystem) SetFIFOOpener(o FIFOOpener) {
	v.regMu.Lock()
	v.fifoOpener = o
	v.regMu.Unlock()
}

func (v *VirtualFilesystem) deviceOpener(kind uint32, rdev uint64) DeviceOpener {
	major, minor := unix.Major(rdev), unix.Minor(rdev)
	v.regMu.RLock()
	defer v.regMu.RUnlock()
	if o := v.devices[devKey{kind, major, minor}]; o != nil {
		return o
	}
	return v.devices[devKey{kind, major, ^uint32(0)}]
}

// FilesystemDevice returns the device number the VFS gave fs (assigning
// one if fs is new).
func (v *VirtualFilesystem) FilesystemDevice(fs Filesystem) uint64 {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	return v.fsStateLocked(fs).dev
}

// fsStateLocked returns the record of fs, creating it.
//
// Preconditions: v.mountMu is held, or v is being built.
func (v *VirtualFilesystem) fsStateLocked(fs Filesystem) *fsState {
	if s := v.fss[fs]; s != nil {
		return s
	}
	s := &fsState{fs: fs}
	if bd, ok := fs.(BlockDeviceFilesystem); ok && bd.Device() != 0 {
		s.dev = bd.Device()
	} else {
		s.dev = unix.Mkdev(0, v.nextDev)
		v.nextDev++
	}
	v.fss[fs] = s
	return s
}

// rootDentry returns the root dentry of fs, calling fs.Root the first
// time.
func (v *VirtualFilesystem) rootDentry(ctx Context, s *fsState) (*Dentry, error) {
	v.mountMu.Lock()
	d := s.root
	v.mountMu.Unlock()
	if d != nil {
		return d, nil
	}
	ino, err := s.fs.Root(ctx)
	if err != nil {
		return nil, err
	}
	nd, err := newDentry(ctx, s, nil, "/", ino)
	if err != nil {
		return nil, err
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if s.root == nil {
		s.root = nd
	}
	return s.root, nil
}

// anonFilesystem holds the anonymous dentries of files not reachable from
// any mount.
type anonFilesystem struct{}

func (anonFilesystem) Name() string                { return "anon_inodefs" }
func (anonFilesystem) Root(Context) (Inode, error) { return nil, unix.EINVAL }
func (anonFilesystem) Statfs(Context) (Statfs, error) {
	return Statfs{Type: 0x09041934, Bsize: 4096, NameLen: NameMax, Frsize: 4096}, nil
}

// NewAnonymousFile returns a File not reachable from any mount (host stdio,
// pipes, sockets, eventfd). name is what /proc/self/fd shows for it
// ("pipe:[12]", "anon_inode:[eventfd]", "/dev/console"); inode answers
// fstat (and SetStat for fchmod); flags are the open(2) flags (access mode
// and status flags). The File holds one reference.
func (v *VirtualFilesystem) NewAnonymousFile(ctx Context, name string, inode Inode, ops FileOperations, flags int) (*File, error) {
	d, err := newDentry(ctx, v.anonFS, nil, name, inode)
	if err != nil {
		return nil, err
	}
	d.anon = true
	return v.newFile(ctx, Path{Dentry: d}, ops, flags), nil
}

// NewPseudoFile is NewAnonymousFile for a file of a pseudo file system
// that is never mounted (pipefs, sockfs): the file's Stat.Dev is the
// device number the VFS gives fs, and statfs reports fs's Statfs. fs must
// be comparable; one value per kind of file keeps one device number.
func (v *VirtualFilesystem) NewPseudoFile(ctx Context, fs Filesystem, name string, inode Inode, ops FileOperations, flags int) (*File, error) {
	v.mountMu.Lock()
	s := v.fsStateLocked(fs)
	v.mountMu.Unlock()
	d, err := newDentry(ctx, s, nil, name, inode)
	if err != nil {
		return nil, err
	}
	d.anon = true
	return v.newFile(ctx, Path{Dentry: d}, ops, flags), nil
}

// NewInodeNumber returns a fresh inode number for a file of a pseudo file
// system (pipes, sockets, anonymous inodes); numbers are shared by all of
// them, as Linux's get_next_ino.
func (v *VirtualFilesystem) NewInodeNumber() uint64 {
	return v.anonIno.Add(1)
}
