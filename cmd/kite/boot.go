package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/block"
	"github.com/kite-os/kite/fs/dev"
	"github.com/kite-os/kite/fs/ext4"
	"github.com/kite-os/kite/fs/fat"
	"github.com/kite-os/kite/fs/hostfs"
	"github.com/kite-os/kite/fs/overlay"
	"github.com/kite-os/kite/fs/pipe"
	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/fs/sys"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/inet"
	"github.com/kite-os/kite/net/netlink"
	unixsock "github.com/kite-os/kite/net/unix"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/ptrace"
	"github.com/kite-os/kite/platform/systrap"
	"github.com/kite-os/kite/strace"
	"github.com/kite-os/kite/syscalls"
	"github.com/kite-os/kite/tty"
	"github.com/kite-os/kite/vfs"
)

// boot builds a kernel for o, runs the program and returns kite's exit
// status.
func boot(o runOptions, log *slog.Logger) (int, error) {
	// The program's limits are kite's own as it was started; kite itself
	// then takes all the fds its hard limit allows (hostfs keeps its host
	// fds bounded, so the program's RLIMIT_NOFILE is what limits it).
	limits := hostLimits()
	raiseFDLimit()
	// Application memory is bounded by the host's RAM: beyond it the
	// program gets ENOMEM (or SIGBUS on a fault) instead of pushing the
	// host into swap or its OOM killer.
	memSize := memoryLimit()
	if o.memory != 0 {
		// --memory: the sandbox holds no more than this; the memory
		// file's size is the limit allocations hit.
		memSize = min(memSize, o.memory)
	}
	mf, err := mm.NewMemoryFileSize(memSize)
	if err != nil {
		return 1, fmt.Errorf("memory file: %w", err)
	}
	if o.container != nil && o.memory != 0 {
		// A container's memory limit acts as a cgroup's: big
		// mappings succeed, and touching memory beyond the limit runs
		// kite's OOM killer.
		mf.SetHeuristicBase(memoryLimit())
	}
	// The memory file is unmapped only once no task can touch it:
	// Shutdown (below) says so.
	releaseMemory := true
	defer func() {
		if releaseMemory {
			mf.Release()
		}
	}()
	plat, err := newPlatform(o.platform, mf.FD())
	if err != nil {
		return 1, fmt.Errorf("%s platform: %w", o.platform, err)
	}

	creds := hostCredentials()
	cont := o.container
	if cont != nil {
		creds = cont.creds
	}
	// kite's own VFS operations while setting up (mounts, the console)
	// act as root.
	ctx := vfs.KernelContext{}
	v := vfs.New()
	if cont != nil {
		for r, l := range cont.rlimits {
			limits.Set(r, l, true)
		}
	}
	stack := net.NewStack(v)
	unixFamily := unixsock.New(v)
	stack.Register(unix.AF_UNIX, unixFamily)
	inet.RouteStackLog(log)
	ipStack, err := inet.New()
	if err != nil {
		return 1, fmt.Errorf("network stack: %w", err)
	}
	defer ipStack.Close()
	ipStack.Register(stack)
	nl := netlink.New(ipStack)
	nl.SetDiag(netlink.Diag{Inet: ipStack.DiagSockets, Unix: unixFamily.DiagSockets})
	nl.Register(stack)
	if o.network == "host" {
		// The program's INET sockets are host sockets kite drives;
		// netlink, /proc/net and the interface ioctls show the
		// host's interfaces, routes and INET sockets.
		host, err := inet.NewHostIn(o.netns)
		if err != nil {
			return 1, fmt.Errorf("host network: %w", err)
		}
		defer host.Close()
		host.Register(stack)
		nl.SetHost(host.NetlinkQuery)
		if cont != nil {
			for key, value := range cont.netSysctl {
				if err := host.SetSysctl(key, value); err != nil {
					return 1, fmt.Errorf("sysctl %s=%s: %w", key, value, err)
				}
			}
			cont.netSysctl = nil
		}
	}
	if cont != nil {
		// Without a host network namespace the container's network
		// is kite's stack: its writable /proc/sys/net files take them
		// (net.ipv4.ip_local_port_range is ipv4/ip_local_port_range).
		for key, value := range cont.netSysctl {
			name := strings.ReplaceAll(strings.TrimPrefix(key, "net."), ".", "/")
			if !stack.SysctlWritable(name) {
				return 1, fmt.Errorf("sysctl %s: kite's network stack does not have it", key)
			}
			if err := stack.SetSysctl(name, []byte(value)); err != nil {
				return 1, fmt.Errorf("sysctl %s=%s: %w", key, value, err)
			}
		}
	}
	if o.network == "sandbox" {
		sb, err := ipStack.EnableSandbox(o.publish)
		if err != nil {
			return 1, fmt.Errorf("sandbox network: %w", err)
		}
		defer sb.Close()
	}
	cfg := kernel.Config{
		Platform:   plat,
		MemoryFile: mf,
		VFS:        v,
		Net:        stack,
		// A new network namespace has kite's own stack with lo down,
		// whatever --net says, and its own AF_UNIX abstract names; the
		// kernel shuts its TCP/IP stack down when the namespace dies.
		NewNetStack: func() (*net.Stack, error) {
			ns := net.NewStack(v)
			un := unixFamily.NewNamespace()
			ns.Register(unix.AF_UNIX, un)
			ip, err := inet.NewIsolated()
			if err != nil {
				return nil, err
			}
			ip.Register(ns)
			ns.OnClose(ip.Close)
			nl := netlink.New(ip)
			nl.SetDiag(netlink.Diag{Inet: ip.DiagSockets, Unix: un.DiagSockets})
			nl.Register(ns)
			return ns, nil
		},
		Table:       syscalls.NewTable(),
		Logger:      log,
		Version:     version,
		TotalMemory: memSize,
		HostSched:   hostSchedLimits(),
		CPUInfo:     hostCPUInfo(),
		VDSO:        !o.noVDSO,
		RSeq:        o.rseq,
	}
	if cont != nil {
		cfg.Hostname = cont.hostname
		cfg.Domainname = cont.domainname
		cfg.IPCLimits = cont.ipcSysctl
		cfg.MaxTasks = cont.maxTasks
	}
	if o.strace {
		cfg.Tracer = straceHook{strace.New(os.Stderr)}
	}
	k, err := kernel.New(cfg)
	if err != nil {
		return 1, err
	}
	// When kite leaves, every process it runs ends first (as when a PID
	// namespace's init exits); a task still exiting would otherwise copy
	// to or from a memory file that is no longer mapped.
	defer func() { releaseMemory = k.Shutdown(shutdownTimeout) }()

	// memfd_create's files live in an internal tmpfs, as Linux's in
	// shm_mnt.
	v.SetMemfdFilesystem(tmpfs.New(v, tmpfs.Options{}))
	rootFS, rootFlags, closeRoot, err := rootFilesystem(ctx, v, o)
	if err != nil {
		return 1, fmt.Errorf("--rootfs %s: %w", o.rootfs, err)
	}
	defer func() {
		if err := closeRoot(); err != nil {
			log.Error("closing the root image", "image", o.rootfs, "err", err)
		}
	}()
	ns, err := v.NewMountNamespace(ctx, rootFS, rootFlags)
	if err != nil {
		return 1, fmt.Errorf("mounting the root: %w", err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	now := time.Now()
	proc.RegisterType(v, k.ProcSource())
	// A tmpfs holds at most half of the memory's pages (and as many
	// inodes) unless mounted with size= (nr_inodes=), as on Linux: /tmp
	// or /dev/shm filled up fails with ENOSPC instead of taking all the
	// memory (or more, with fallocate).
	tmpfsSize := int64(memSize/4096/2) * 4096
	tmpfs.RegisterTypeSized(v, tmpfsSize)
	sizedTmpfs := tmpfs.Options{Mode: 0o1777, MaxBytes: tmpfsSize, MaxInodes: tmpfsSize / 4096}
	overlay.RegisterType(v)
	var attached *attachedDisks
	if len(o.disks) > 0 {
		if attached, err = attachDisks(o.disks); err != nil {
			return 1, err
		}
		defer attached.close()
		attached.Register(v)
	}
	sysOpts := sys.Options{NumCPU: k.NumCPU(), Disks: attached.sysDisks(), NetLinks: sysNetLinks(k, stack)}
	sys.RegisterType(v, sysOpts)
	blockDevice := func(rdev uint64) (*block.Device, bool, bool) {
		if attached == nil {
			return nil, false, false
		}
		b, ok := attached.Lookup(rdev)
		if !ok {
			return nil, false, false
		}
		return b, b.Writable, true
	}
	ext4Mounts := ext4.RegisterType(v, func(rdev uint64) (ext4.ReadWriterAt, bool, bool) {
		return blockDevice(rdev)
	})
	fatMounts := fat.RegisterType(v, func(rdev uint64) (fat.ReadWriterAt, bool, bool) {
		return blockDevice(rdev)
	})
	defer func() {
		if err := ext4Mounts.Close(); err != nil {
			log.Error("closing mounted ext4 file systems", "err", err)
		}
		if err := fatMounts.Close(); err != nil {
			log.Error("flushing mounted FAT file systems", "err", err)
		}
	}()
	var devFS vfs.Filesystem = dev.New(now)
	if attached != nil {
		// kite's /dev has a fixed set of names: the disks' nodes go in
		// a memory layer on top of it.
		if devFS, err = overlay.New(ctx, v, []vfs.Filesystem{devFS}, tmpfs.New(v, tmpfs.Options{Mode: 0o755})); err != nil {
			return 1, fmt.Errorf("/dev for the disks: %w", err)
		}
	}
	// /dev/pts as Debian mounts it (gid=5,mode=620,ptmxmode=000);
	// /dev/ptmx opens this instance.
	ptsOpts, _ := tty.ParseDevptsOptions("gid=5,mode=620,ptmxmode=000")
	pts := tty.NewDevpts(v, ptsOpts, k)
	tty.RegisterDevpts(v, pts)
	mounts := []struct {
		at string
		fs vfs.Filesystem
	}{
		{"/dev", devFS},
		{"/proc", proc.New(v, k.ProcSource())},
		{"/sys", sys.New(now, sysOpts)},
		{"/tmp", tmpfs.New(v, sizedTmpfs)},
		{"/dev/shm", tmpfs.New(v, sizedTmpfs)},
		{"/dev/pts", pts},
	}
	for _, m := range mounts {
		if m.at == "/tmp" && cont != nil && rootFlags&vfs.MountReadOnly == 0 {
			// A container's writable root keeps its own /tmp, as
			// with runc (the bundle's mounts may put a tmpfs there).
			continue
		}
		at, err := v.GetPath(ctx, fsc, ns.Root(), m.at, true)
		if err == unix.ENOENT && rootFlags&vfs.MountReadOnly == 0 {
			// A writable root (an image) that lacks the mount point
			// gets it.
			mode := uint32(0o755)
			if m.at == "/tmp" {
				mode = 0o1777
			}
			if err = v.MkdirAt(ctx, fsc, ns.Root(), m.at, mode); err == nil {
				at, err = v.GetPath(ctx, fsc, ns.Root(), m.at, true)
			}
			if err == nil {
				err = v.Chmod(ctx, at, mode) // without the umask
			}
		}
		if err == unix.ENOENT || err == unix.ENOTDIR {
			return 1, fmt.Errorf("--rootfs %s has no directory %s: kite mounts its own /dev, /proc and /sys there (create them, or use --overlay)", o.rootfs, m.at)
		}
		if err != nil {
			return 1, fmt.Errorf("--rootfs %s: mount point %s: %w", o.rootfs, m.at, err)
		}
		if err := v.Mount(ctx, at, m.fs, 0); err != nil {
			return 1, fmt.Errorf("mounting %s: %w", m.at, err)
		}
	}
	if cont == nil && rootFlags&vfs.MountReadOnly != 0 {
		if err := mountVarTmp(ctx, v, fsc, ns.Root(), o.rootfs); err != nil {
			return 1, err
		}
	}
	if cont != nil {
		cont.tmpfsSize = tmpfsSize
		if err := cont.mount(ctx, v, fsc, ns.Root(), rootFlags&vfs.MountReadOnly == 0); err != nil {
			return 1, err
		}
		if cont.umask != nil {
			fsc.SwapUmask(*cont.umask & 0o777)
		}
	}
	for _, dir := range o.rwDirs {
		fs, err := hostfs.NewWritable(dir)
		if err != nil {
			return 1, fmt.Errorf("--rw %s: %w", dir, err)
		}
		if err := mountAt(ctx, v, fsc, ns.Root(), dir, fs, vfs.MountNoDev, rootFlags&vfs.MountReadOnly == 0); err != nil {
			return 1, fmt.Errorf("--rw %s: %w", dir, err)
		}
	}
	// The program must not uncover what kite's mounts cover.
	v.LockMounts(ns.Root())

	if attached != nil {
		if err := attached.MakeNodes(ctx, v, fsc); err != nil {
			return 1, err
		}
	}

	// The program starts in kite's working directory when the root is the
	// host's and the directory is visible in it, else at the root.
	if o.rootfs == "/" {
		if wd, err := os.Getwd(); err == nil {
			if p, err := v.GetPath(ctx, fsc, ns.Root(), wd, true); err == nil {
				fsc.SetCwd(p)
			}
		}
	}
	if o.workdir != "" {
		p, err := v.GetPath(ctx, fsc, ns.Root(), o.workdir, true)
		if err != nil {
			return 1, fmt.Errorf("the image's working directory %s: %w", o.workdir, err)
		}
		fsc.SetCwd(p)
	}
	envv := os.Environ()
	if o.env != nil {
		envv = o.env
	}

	fdt := vfs.NewFDTable()
	fdt.SetLimit(limits.Get(unix.RLIMIT_NOFILE).Cur)
	consoles := make([]*tty.Console, 3)
	var terminal *tty.Console
	for fd := range consoles {
		c, err := tty.NewConsole(fd)
		if err != nil {
			// A closed stdio fd stays closed for the program too.
			continue
		}
		consoles[fd] = c
		if c.IsTerminal() && terminal == nil {
			terminal = c
		}
	}
	dev.RegisterDevices(v)
	k.RegisterKmsg(v)
	tty.RegisterDevices(v, terminal, k)
	pipe.InstallFIFOOpener(v)
	hostTerm, err := newHostTerminal(ctx, pts, consoles, o.ttyMode)
	if err != nil {
		return 1, fmt.Errorf("a terminal for the program: %w", err)
	}
	if hostTerm != nil {
		defer hostTerm.restore()
	}
	for fd, c := range consoles {
		if hostTerm != nil && hostTerm.slaveFDs[fd] {
			f, err := hostTerm.term.OpenSlave(ctx, fsc, unix.O_RDWR)
			if err != nil {
				return 1, fmt.Errorf("stdio fd %d: %w", fd, err)
			}
			if err := fdt.SetFD(ctx, int32(fd), f, 0); err != nil {
				return 1, err
			}
			f.DecRef(ctx)
			continue
		}
		if c == nil {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			continue
		}
		f, err := tty.OpenStdio(ctx, v, fsc, c, flags&(unix.O_ACCMODE|unix.O_APPEND))
		if err != nil {
			return 1, fmt.Errorf("stdio fd %d: %w", fd, err)
		}
		if err := fdt.SetFD(ctx, int32(fd), f, 0); err != nil {
			return 1, err
		}
		f.DecRef(ctx)
	}

	filename, err := lookPath(vfs.KernelContext{Creds: creds}, v, fsc, o.argv[0], envv)
	if err != nil {
		return 127, &programError{err}
	}
	pa := kernel.ProcessArgs{
		Filename:       filename,
		Argv:           o.argv,
		Envv:           envv,
		FDTable:        fdt,
		FSContext:      fsc,
		Credentials:    creds,
		MountNamespace: ns,
		Limits:         limits,
		Nice:           hostNice(),
		Terminal:       hostTerm.terminal(),
	}
	if cont != nil {
		pa.NoNewPrivs, pa.Seccomp, pa.SeccompFlags = cont.noNewPrivs, cont.seccomp, cont.seccompFlags
		if cont.ready != nil {
			if err := cont.ready(); err != nil {
				return 1, err
			}
		}
	}
	// Catch the host's signals before the program runs: one that comes
	// as the program starts waits in hostSignals for forwardSignals
	// instead of ending kite with Go's default action.
	hostSignals := make(chan os.Signal, 16)
	signal.Notify(hostSignals, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGHUP)
	defer signal.Stop(hostSignals)
	tg, err := k.StartInit(pa)
	if err != nil {
		return exitCodeForExecError(err), &programError{err}
	}
	if cont != nil && cont.started != nil {
		defer cont.started(&containerKernel{k: k, v: v, ns: ns, limits: limits, cont: cont, pts: pts})()
	}
	foreground := func() int32 { return 0 }
	switch {
	case hostTerm != nil:
		hostTerm.start()
		foreground = hostTerm.foreground
	case terminal != nil:
		terminal.SetForegroundPGID(tg.ID())
		foreground = func() int32 {
			fg, _ := terminal.ForegroundPGID()
			return fg
		}
	}
	forced, stopForwarding := forwardSignals(k, tg, hostSignals, foreground, hostTerm != nil || terminal != nil)
	defer stopForwarding()
	select {
	case <-tg.Done():
	case sig := <-forced:
		if hostTerm != nil {
			hostTerm.restore()
		}
		return endSandbox(k, tg, sig), nil
	}
	// init has exited: the other processes end with it, before the
	// root file system and the terminal are closed.
	k.Shutdown(shutdownTimeout)
	if hostTerm != nil {
		hostTerm.finish()
	}
	ws := tg.ExitStatus()
	if code, ok := ws.Exited(); ok {
		return code, nil
	}
	sig, core, _ := ws.Signaled()
	if cont != nil {
		// A container's engine reads the status, not kite's message.
		return 128 + sig, nil
	}
	return signalExit(o.argv[0], sig, core), nil
}

// programError is an error starting the program itself (as opposed to
// one in kite's setup): it is reported as a shell reports it.
type programError struct{ err error }

func (e *programError) Error() string { return e.err.Error() }
func (e *programError) Unwrap() error { return e.err }

// errCommandNotFound is a bare program name that no directory of $PATH
// holds.
var errCommandNotFound = errors.New("command not found")

// defaultPath is execvp's search path when the environment has no PATH
// (glibc's _CS_PATH).
const defaultPath = "/bin:/usr/bin"

// lookPath finds a bare program name (one without a slash) in the
// directories of $PATH in envv, inside kite's root, as a shell does: the
// first regular file the program's credentials may execute. A name with
// a slash is used as it is.
func lookPath(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, name string, envv []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	if name == "" {
		return "", unix.ENOENT
	}
	search := defaultPath
	for _, e := range envv {
		if p, ok := strings.CutPrefix(e, "PATH="); ok {
			search = p
		}
	}
	denied := false
	for _, dir := range strings.Split(search, ":") {
		if dir == "" {
			dir = "." // an empty entry is the working directory
		}
		cand := strings.TrimSuffix(dir, "/") + "/" + name
		st, err := v.StatAt(ctx, fsc, fsc.Cwd(), cand, true)
		if err != nil {
			continue
		}
		if st.Type() != unix.S_IFREG || !ctx.Credentials().CheckPermission(st.Mode&0o7777, st.UID, st.GID, false, auth.MayExec) {
			denied = true
			continue
		}
		return cand, nil
	}
	if denied {
		return "", unix.EACCES
	}
	return "", errCommandNotFound
}

// mountVarTmp makes /var/tmp of a read-only directory root writable, as
// Linux users expect it to be: the root's /var/tmp with a private
// in-memory layer on top, so that programs see the files there and may
// write, and nothing they write reaches the host. A root whose /var or
// /var/tmp is missing or not a directory (a symbolic link) is left as
// it is.
func mountVarTmp(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, root vfs.Path, rootfs string) error {
	for _, p := range []string{"/var", "/var/tmp"} {
		st, err := v.StatAt(ctx, fsc, root, p, false)
		if err != nil || st.Type() != unix.S_IFDIR {
			return nil
		}
	}
	lower, err := hostfs.New(filepath.Join(rootfs, "var/tmp"))
	if err != nil {
		return fmt.Errorf("/var/tmp: %w", err)
	}
	ov, err := overlay.New(ctx, v, []vfs.Filesystem{lower}, tmpfs.New(v, tmpfs.Options{Mode: 0o1777}))
	if err != nil {
		return fmt.Errorf("overlay on /var/tmp: %w", err)
	}
	return mountAt(ctx, v, fsc, root, "/var/tmp", ov, 0, false)
}

// rootFilesystem returns the root file system for o with its mount
// flags, and the function that closes it once the program has finished:
// a host directory read-only (a container's writable on the host), or
// under an in-memory layer, or an ext4 image under an in-memory upper
// layer (with --rw-root, the image itself, written through its journal).
func rootFilesystem(ctx vfs.Context, v *vfs.VirtualFilesystem, o runOptions) (vfs.Filesystem, uint32, func() error, error) {
	noClose := func() error { return nil }
	image, err := isImageFile(o.rootfs)
	if err != nil {
		return nil, 0, nil, err
	}
	if !image {
		if o.rwRoot {
			return nil, 0, nil, fmt.Errorf("--rw-root needs an image root, and %s is a directory", o.rootfs)
		}
		if o.rwDirRoot {
			// A container's writable root: writes reach the bundle's
			// directory, as with runc.
			fs, err := hostfs.NewWritable(o.rootfs)
			return fs, 0, noClose, err
		}
		fs, err := hostfs.New(o.rootfs)
		if err != nil || !o.overlay {
			return fs, vfs.MountReadOnly, noClose, err
		}
		// --overlay: the directory stays untouched; writes go to a
		// private in-memory layer dropped at exit.
		ov, err := overlay.New(ctx, v, []vfs.Filesystem{fs}, tmpfs.New(v, tmpfs.Options{Mode: 0o755}))
		if err != nil {
			return nil, 0, nil, fmt.Errorf("overlay on %s: %w", o.rootfs, err)
		}
		return ov, 0, noClose, nil
	}
	f, err := openImage(o.rootfs, o.rwRoot)
	if err != nil {
		return nil, 0, nil, err
	}
	img, err := ext4.OpenImageFile(v, f, o.rwRoot)
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	if o.rwRoot {
		return img, 0, img.Close, nil
	}
	upper := tmpfs.New(v, tmpfs.Options{Mode: 0o755})
	ov, err := overlay.New(ctx, v, []vfs.Filesystem{img}, upper)
	if err != nil {
		img.Close()
		return nil, 0, nil, err
	}
	return ov, 0, img.Close, nil
}

// isImageFile reports whether path is a regular file holding an ext2/3/4
// image: its name ends in .ext4 or it has the superblock magic.
func isImageFile(path string) (bool, error) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		// Not a file: hostfs reports what is wrong with it.
		return false, nil
	}
	if strings.HasSuffix(path, ".ext4") {
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [2]byte
	if _, err := f.ReadAt(magic[:], ext4.SuperblockOffset+0x38); err != nil {
		return false, fmt.Errorf("%s is a file but not a file system image", path)
	}
	if uint16(magic[0])|uint16(magic[1])<<8 != ext4.SuperMagic {
		return false, fmt.Errorf("%s is a file but not an ext2/3/4 image", path)
	}
	return true, nil
}

// exitCodeForExecError is what a shell returns when it cannot run a
// program: 127 when it is not found, 126 otherwise.
func exitCodeForExecError(err error) int {
	if e, ok := err.(unix.Errno); ok && (e == unix.ENOENT || e == unix.ENOTDIR) {
		return 127
	}
	return 126
}

// hostCredentials are kite's own ids: the program runs as the user who ran
// kite.
func hostCredentials() *auth.Credentials {
	groups, _ := os.Getgroups()
	g := make([]uint32, len(groups))
	for i, x := range groups {
		g[i] = uint32(x)
	}
	c := auth.New(uint32(os.Getuid()), uint32(os.Getgid()), g)
	c.EffectiveUID, c.FSUID = uint32(os.Geteuid()), uint32(os.Geteuid())
	c.EffectiveGID, c.FSGID = uint32(os.Getegid()), uint32(os.Getegid())
	hostCapabilities(c)
	return c
}

// hostCapabilities gives c kite's own capability sets, so that a program
// has under kite the capabilities it would have run directly (a root
// shell in a container with a reduced bounding set keeps it reduced).
func hostCapabilities(c *auth.Credentials) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return
	}
	set := func(lo, hi uint32) auth.CapabilitySet {
		return (auth.CapabilitySet(lo) | auth.CapabilitySet(hi)<<32) & auth.AllCapabilities
	}
	c.EffectiveCaps = set(data[0].Effective, data[1].Effective)
	c.PermittedCaps = set(data[0].Permitted, data[1].Permitted)
	c.InheritableCaps = set(data[0].Inheritable, data[1].Inheritable)
	c.BoundingCaps, c.AmbientCaps = 0, 0
	for cap := 0; cap <= auth.LastCap; cap++ {
		if r, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(cap), 0, 0, 0); err == nil && r == 1 {
			c.BoundingCaps |= auth.CapabilitySetOf(cap)
		}
		if r, err := unix.PrctlRetInt(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_IS_SET, uintptr(cap), 0, 0); err == nil && r == 1 {
			c.AmbientCaps |= auth.CapabilitySetOf(cap)
		}
	}
	if c.BoundingCaps == 0 {
		c.BoundingCaps = auth.AllCapabilities
	}
}

// hostLimits starts the program with kite's own resource limits, as a
// program started from kite's shell would have.
func hostLimits() *kernel.Limits {
	ls := kernel.DefaultLimits()
	for r := 0; r < kernel.NumLimits; r++ {
		var rl unix.Rlimit
		if err := unix.Getrlimit(r, &rl); err == nil {
			ls.Set(r, kernel.Limit{Cur: rl.Cur, Max: rl.Max}, true)
		}
	}
	return ls
}

// hostNice is kite's own nice value, which the program inherits as a
// child of kite's shell would. The getpriority system call returns
// 20-nice.
func hostNice() int {
	p, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		return 0
	}
	return 20 - p
}

// raiseFDLimit raises kite's soft RLIMIT_NOFILE to its hard limit.
func raiseFDLimit() {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		unix.Setrlimit(unix.RLIMIT_NOFILE, &rl)
	}
}

// memoryLimit is the size of the memory file: the host's RAM, or the
// default when it cannot be read.
func memoryLimit() uint64 {
	if m := hostMemory(); m > 0 {
		return m
	}
	return mm.DefaultMemoryFileSize
}

// hostCPUInfo is the host's /proc/cpuinfo, which kite's procfs shows as
// it is: the program runs on these CPUs. Read once here, as data; the
// host's /proc is never mounted.
func hostCPUInfo() []byte {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return nil
	}
	return b
}

// hostMemory is the memory sysinfo reports.
func hostMemory() uint64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return si.Totalram * uint64(si.Unit)
}

// straceHook adapts strace.Tracer to kernel.SyscallTracer.
type straceHook struct{ tr *strace.Tracer }

func (h straceHook) Enter(t *kernel.Task, nr uintptr, args arch.SyscallArgs) {
	h.tr.Enter(t.ThreadID(), nr, args, t)
}

func (h straceHook) Exit(t *kernel.Task, nr uintptr, args arch.SyscallArgs, ret uintptr, err error) {
	if kernel.IsNoReturn(err) {
		h.tr.ExitNoReturn(t.ThreadID(), nr, args, t)
		return
	}
	h.tr.Exit(t.ThreadID(), nr, args, ret, err, t)
}

// How kite answers the host's signals (see forwardSignals).
const (
	// termGrace is how long a program has to end after kite passed it
	// a SIGTERM or SIGHUP before kite ends the sandbox.
	termGrace = 10 * time.Second
	// deliverTimeout bounds passing a signal to the program, and the
	// orderly end of the sandbox: a kernel that takes longer does not
	// answer, and kite leaves at once.
	deliverTimeout = 2 * time.Second
)

// forwardSignals delivers the signals kite receives to the program, as a
// terminal and a service manager would: SIGINT and SIGQUIT (^C, ^\) to
// the terminal's foreground process group, SIGTERM and SIGHUP to init's.
// ch is where signal.Notify puts them.
// kite ends the sandbox (the returned channel yields the signal) when a
// second SIGTERM or SIGHUP arrives, when the program has not ended
// termGrace after the first, or when the kernel does not take a signal
// within deliverTimeout, so that the host can always stop kite. Without a
// terminal (interactive false) a SIGINT comes from a host program, not
// from ^C, and counts as a SIGTERM does; with one, ^C is the program's to
// handle, as it is on a terminal.
func forwardSignals(k *kernel.Kernel, init *kernel.ThreadGroup, ch chan os.Signal, foreground func() int32, interactive bool) (forced <-chan int, stop func()) {
	force := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		var grace <-chan time.Time
		graceSig := 0
		for {
			select {
			case <-done:
				return
			case <-grace:
				force <- graceSig
				return
			case s := <-ch:
				sig := int(s.(unix.Signal))
				ending := sig == int(unix.SIGTERM) || sig == int(unix.SIGHUP) ||
					(sig == int(unix.SIGINT) && !interactive)
				if ending && graceSig != 0 {
					force <- sig
					return
				}
				if !deliverSignal(k, init, foreground, sig) {
					force <- sig
					return
				}
				if ending {
					graceSig = sig
					grace = time.After(termGrace)
				}
			}
		}
	}()
	// ch stays registered until boot returns (its caller stops it).
	return force, func() { close(done) }
}

// deliverSignal passes sig to the program's process group and reports
// whether the kernel took it within deliverTimeout.
func deliverSignal(k *kernel.Kernel, init *kernel.ThreadGroup, foreground func() int32, sig int) bool {
	delivered := make(chan struct{})
	go func() {
		pgid := init.ProcessGroupID()
		if sig == int(unix.SIGINT) || sig == int(unix.SIGQUIT) {
			if fg := foreground(); fg > 0 {
				pgid = fg
			}
		}
		k.SignalProcessGroup(pgid, sig)
		close(delivered)
	}()
	select {
	case <-delivered:
		return true
	case <-time.After(deliverTimeout):
		return false
	}
}

// shutdownTimeout bounds how long kite waits for its processes to end
// once it is leaving.
const shutdownTimeout = 5 * time.Second

// endSandbox ends every process after the host's signal sig and returns
// kite's exit status. When the kernel does not end them within
// deliverTimeout kite exits at once: its stubs die with it (they have
// PDEATHSIG and PTRACE_O_EXITKILL), so none is left behind.
func endSandbox(k *kernel.Kernel, init *kernel.ThreadGroup, sig int) int {
	fmt.Fprintf(os.Stderr, "kite: %s from the host: ending the sandbox\n", unix.SignalName(unix.Signal(sig)))
	go k.KillAll()
	select {
	case <-init.Done():
		return 128 + sig
	case <-time.After(deliverTimeout):
	}
	fmt.Fprintln(os.Stderr, "kite: the kernel does not answer; leaving")
	stopProfile()
	os.Exit(128 + sig)
	return 128 + sig
}

func (h straceHook) Signal(t *kernel.Task, info *arch.SignalInfo) {
	h.tr.Signal(t.ThreadID(), strace.SignalInfo{
		Signo: info.Signo, Code: info.Code, Errno: info.Errno,
		PID: info.PID(), UID: info.UID(), Addr: uintptr(info.Addr()),
		Status: info.Status(), Utime: info.UTime(), Stime: info.STime(),
		Value: info.Value(), TimerID: info.TimerID(), Overrun: info.Overrun(),
		Band: info.Band(), FD: info.FD(),
	})
}

func (h straceHook) Exited(tid int32, ws kernel.WaitStatus) {
	if code, ok := ws.Exited(); ok {
		h.tr.Exited(tid, code, 0, false)
		return
	}
	sig, core, _ := ws.Signaled()
	h.tr.Exited(tid, 0, sig, core)
}

func (h straceHook) Exec(t *kernel.Task, path string, argv []string, envc int) {
	h.tr.Exec(t.ThreadID(), path, argv, envc)
}

// platforms are the values of --platform.
const platforms = "ptrace, systrap"

// defaultPlatform is --platform's default: $KITE_PLATFORM if set (so that
// a whole test suite can run on either platform), else ptrace.
func defaultPlatform() string {
	if p := os.Getenv("KITE_PLATFORM"); p != "" {
		return p
	}
	return "ptrace"
}

// newPlatform starts the platform named name over the memory file memfd.
func newPlatform(name string, memfd int) (platform.Platform, error) {
	switch name {
	case "ptrace":
		return ptrace.New(memfd)
	case "systrap":
		return systrap.New(memfd)
	}
	return nil, fmt.Errorf("unknown platform %q (available: %s)", name, platforms)
}
