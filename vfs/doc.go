// Package vfs is kite's virtual file system: path resolution, the dentry
// cache, mounts and mount namespaces, file descriptions (File), fd tables
// (FDTable) and per-process file-system context (FSContext: root, cwd,
// umask). It imports auth, arch, abi/linux and x/sys/unix only; file systems
// (fs/tmpfs, fs/hostfs, fs/proc, ...) import vfs, never the other way.
//
// # How a file system plugs in
//
// A file system is a value implementing Filesystem: its Root inode and
// Statfs. Everything else is per inode:
//
//   - Inode is one file of any kind. Embed InodeDefaults and override what
//     the inode supports: Stat, SetStat and Open for every inode; Lookup,
//     Create, Mkdir, Mknod, Symlink, Link, Unlink, Rmdir, Rename for
//     directories; Readlink for symbolic links. InodeDefaults answers the
//     rest with the errno Linux gives (ENOTDIR, EINVAL, EPERM...).
//   - Open returns FileOperations, the behaviour of one open file
//     description. Embed FileDefaults (and StreamFile for pipes, ttys and
//     other non-seekable files) and override Read, Write, Seek, IterDirents,
//     Ioctl, Sync... so that methods added to FileOperations later reach
//     you with a correct default.
//
// The VFS owns the dentry tree. A Dentry caches one name in one directory
// of one file system and points at the Inode the file system's Lookup (or
// Create, Mkdir...) returned. The file system must return the same Inode
// value for the same file every time (compare with ==), so hard links and
// rename-over-self work. The VFS calls a directory inode's methods with
// that directory's dentry lock held, so a file system sees at most one
// mutation or lookup at a time per directory, but it must lock its own
// inode state against reads and writes through open files.
//
// Before calling a file system the VFS has already: checked search (exec)
// permission on every directory walked and write+exec permission on the
// directory being changed, using auth.Credentials.CheckPermission on the
// inode's Stat (an inode may override this by implementing
// PermissionChecker); checked EROFS for read-only mounts; checked
// ENAMETOOLONG; applied the umask to create modes; checked file types
// (EISDIR, ENOTDIR, EEXIST, rename rules, a directory into its own
// subdirectory, cross-mount EXDEV, sticky directories). The file system
// checks only what depends on its own state (ENOTEMPTY, ENOSPC, EMLINK) and
// sets owners from ctx.Credentials() (FSUID, FSGID or the setgid
// directory's group).
//
// The VFS fills Stat.Dev with the device number it gave the file system
// (one anonymous device number per Filesystem value, major 0); file systems
// leave it zero. Directory listings: the VFS emits "." and ".." itself at
// offsets 0 and 1; IterDirents yields the other entries starting at an
// offset >= 2 that the file system defines (stable across unlinks).
//
// Optional inode interfaces: MagicLink (proc's /proc/self/fd/N and
// /proc/self/exe: a link that resolves to a Path, not a string),
// Revalidator (a directory whose cached children may go stale, like /proc
// or a host directory changed outside kite), PermissionChecker.
//
// Files not reachable from any mount (host stdio, pipes, sockets, eventfd)
// are made with VirtualFilesystem.NewAnonymousFile: they get an anonymous
// dentry with the given Inode (for fstat) and FileOperations.
//
// # Readiness and waiting
//
// poll, select and epoll (and blocking reads inside file systems) share
// one mechanism (waiter.go). Events are the POLL* bits. File operations
// whose readiness changes (pipes, sockets, terminals, eventfd) implement
// Waitable: Readiness(mask) reports which events of mask hold now (POLLERR
// and POLLHUP always may), and EventRegister/EventUnregister add and
// remove a WaitEntry. Embed a WaitQueue for the latter and call
// Notify(events) after every change that may make events true (data
// written, room freed, last writer or reader gone). Notify passes the
// events that happened to each interested entry's callback, so a level
// waiter (poll) rechecks Readiness, while an edge-triggered waiter
// (epoll ET) can act on the notification itself. Callbacks run without
// the queue's lock and must not block; NewChannelEntry makes one that
// signals a channel. Register before checking Readiness so that no
// notification is lost. Files whose operations are not Waitable (regular
// files, directories) are always readable and writable, as on Linux;
// O_PATH files report POLLNVAL.
//
// A file system that blocks (a pipe read waiting for data) sleeps with
// ctx.BlockOn(ch) (or BlockOnTimeout): a signal interrupts the sleep with
// ERESTARTSYS, which the file system returns up unchanged.
//
// Stream files that keep their own buffers (pipes) may implement
// StreamReader and StreamWriter to move a whole read(2) or write(2)
// between those buffers and user memory themselves, instead of one
// IOChunk at a time through Read and Write.
//
// Pseudo files of never-mounted file systems (pipefs) are made with
// NewPseudoFile, which gives them their file system's device number;
// NewInodeNumber numbers their inodes.
//
// Files whose data lives in memory (tmpfs) implement Mappable: their
// Pages (allocated with NewPages from the kernel's memory file) are what
// mmap maps, coherent with read and write. Other regular files get a
// page cache per inode when first mapped (pagecache.go): read and write
// go through it while it exists, mappings fill it, and msync, fsync,
// sync and the last close write it back. Files that must not be mapped at
// all (procfs) implement Unmappable; memfd seals go through Sealable.
//
// Path-name sockets (socket.go): BindSocketAt makes an S_IFSOCK inode
// through the file system's Mknod and records the socket family's
// endpoint against it; SocketAt finds it again for connect(2).
//
// File locks (flock, POSIX and OFD record locks) and extended attributes
// (XattrInode) are kept and checked by the VFS for every file system.
// POSIX ACLs (acl.go) are stored through XattrInode by file systems that
// implement ACLInode; the VFS validates them, checks access with them,
// applies default ACLs to new files and keeps them in step with chmod.
//
// Mounts (mount.go, mountops.go, propagate.go) form one tree per mount
// namespace; propagation follows Linux's shared subtrees (peer groups,
// masters and slaves), all guarded by mountMu.
//
// Character and block devices found in any file system (mknod in tmpfs, or
// fs/dev) are opened through the device registry: RegisterDevice. FIFOs
// are opened through SetFIFOOpener.
//
// # Contexts
//
// Every operation takes a Context (context.go): what the caller provides,
// as Linux's "current": credentials, its FSContext (nil for the kernel),
// its process and thread ids (POSIX lock owner, /proc/self),
// interruptible blocking (BlockOn, BlockOnTimeout, Interrupted), signals
// raised on its behalf (SignalSelf: SIGPIPE, SIGXFSZ) and its signal
// queue (Signals, for signalfd). kernel.Task implements it; KernelContext
// is kite's own context (boot, page fills) and the base of test fakes.
// File systems never type-assert a Context. Ioctl also gets a UserIO to
// copy the argument in and out of application memory.
//
// # Locking
//
// Lock order, outermost first:
//
//  0. MountContext.mu: an fsopen or fspick context (mountctx.go), held
//     while it makes and mounts its file system (calling the type's
//     constructor and the file system's Root) or reconfigures a mount.
//  1. File.posMu: the offset of a non-stream file, held across a read,
//     write, seek or getdents (and so across the file system's Read,
//     Write, IterDirents).
//  2. VirtualFilesystem.renameMu: held for writing by a rename and for
//     reading by path walks that must see a stable tree (parentPath).
//  3. Dentry.mu: one directory's lookups and changes; a rename holds two,
//     under renameMu held for writing; everybody else holds at most one.
//     The VFS calls a directory inode's methods with it held.
//  4. fileCache.mu: I/O through an inode's page cache (pagecache.go),
//     held across the file system's Read and Write. An address space's
//     lock may be held when it is taken (munmap releasing the last
//     mapping writes the cache back), so nothing holding it waits for
//     an address space: truncation shrinks the Pages without it.
//  5. File-system locks (each file system states its own order), then
//     the locks of Pages (which take address spaces' locks when
//     truncating). A fill of a page cache holds the pages' fill lock,
//     then fileCache.filesMu, then the file system's locks;
//     VirtualFilesystem.cacheMu is taken alone or before filesMu.
//  6. Leaves, never held while calling a file system or taking another
//     VFS lock: VirtualFilesystem.mountMu (mounts; taken under Dentry.mu
//     for the read-only check), writeMu (write access and ETXTBSY),
//     dnotifyMu (F_NOTIFY requests; notify.mu is taken under it, and a
//     dnotify watch's signals are sent without it),
//     regMu (device, FIFO and file-system type registries and the clock;
//     file systems read the clock under their own locks), locksMu (file
//     locks and leases; writeMu and a File's asyncMu are taken under it,
//     a blocked locker or opener sleeps and break signals are sent
//     without it), FDTable.mu (files are
//     released after it is dropped), FSContext.mu and WaitQueue.mu
//     (Notify calls the waiters' callbacks without it); and auth's
//     UserNamespace.mu (permission checks under Dentry.mu).
//
// The VFS never holds a lock while calling a MagicLink, so a file system may
// call back into the VFS from GetLink.
package vfs
