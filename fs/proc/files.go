package proc

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// dataFile is a read-only procfs file whose text is made when it is read
// from offset 0 (and kept for the reads that follow, so that a reader
// going through it in pieces sees one snapshot).
type dataFile struct {
	base
	proc Process // owner of the file; nil for root-owned files
	mode uint32  // permission bits
	gen  func(ctx vfs.Context) ([]byte, error)
	// write, if set, takes a write(2) to the file; without it writes
	// fail as on Linux (EINVAL for a process's files, EIO for the
	// others). Opening for writing is left to the permission bits.
	write func(ctx vfs.Context, src []byte) (int, error)
	// writeOpened, if set, handles writes instead of write, with the
	// credentials of the task that opened the file (Linux's f_cred).
	writeOpened func(ctx vfs.Context, opener *auth.Credentials, src []byte) (int, error)
	// openWrite, if set, is asked when the file is opened for writing,
	// for the checks Linux makes at open.
	openWrite func(ctx vfs.Context) error
}

func (fs *Filesystem) newData(p Process, mode uint32, gen func(vfs.Context) ([]byte, error)) *dataFile {
	return &dataFile{base: fs.newBase(), proc: p, mode: mode, gen: gen}
}

// Stat implements vfs.Inode. The size is 0 as Linux gives for generated
// files.
func (d *dataFile) Stat(vfs.Context) (vfs.Stat, error) {
	var uid, gid uint32
	if d.proc != nil {
		uid, gid = owner(d.proc)
	}
	return d.stat(unix.S_IFREG|d.mode, uid, gid, 1), nil
}

// SetStat implements vfs.Inode: the truncation of opening a writable file
// with O_TRUNC (a shell's "echo 1 > file") is accepted and does nothing,
// as on Linux; other changes are EPERM.
func (d *dataFile) SetStat(_ vfs.Context, s *vfs.SetStat) error {
	if (d.write != nil || d.writeOpened != nil) && s.Mask&^(unix.STATX_SIZE|unix.STATX_MTIME|unix.STATX_ATIME) == 0 {
		return nil
	}
	return unix.EPERM
}

// Open implements vfs.Inode.
func (d *dataFile) Open(ctx vfs.Context, flags int) (vfs.FileOperations, error) {
	if d.openWrite != nil && flags&unix.O_ACCMODE != unix.O_RDONLY {
		if err := d.openWrite(ctx); err != nil {
			return nil, err
		}
	}
	return &dataFileOps{d: d}, nil
}

// dataFileOps is an open dataFile.
type dataFileOps struct {
	vfs.FileDefaults
	d *dataFile

	// mu guards data and made.
	mu   sync.Mutex
	data []byte
	made bool
}

// Read implements vfs.FileOperations.
func (o *dataFileOps) Read(ctx vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if off == 0 || !o.made {
		b, err := o.d.gen(ctx)
		if err != nil {
			return 0, err
		}
		o.data, o.made = b, true
	}
	if off >= int64(len(o.data)) {
		return 0, nil
	}
	return copy(dst, o.data[off:]), nil
}

// Write implements vfs.FileOperations.
func (o *dataFileOps) Write(ctx vfs.Context, f *vfs.File, src []byte, _ int64) (int, error) {
	if o.d.writeOpened != nil {
		return o.d.writeOpened(ctx, f.Credentials(), src)
	}
	if o.d.write == nil {
		if o.d.proc == nil {
			return 0, unix.EIO
		}
		return 0, unix.EINVAL
	}
	return o.d.write(ctx, src)
}

// dirInode is a procfs directory with a fixed set of entries.
type dirInode struct {
	base
	proc  Process // owner; nil for root-owned
	names []string
	kids  map[string]vfs.Inode
}

func (fs *Filesystem) newDir(p Process, kids map[string]vfs.Inode) *dirInode {
	d := &dirInode{base: fs.newBase(), proc: p, kids: kids}
	for n := range kids {
		d.names = append(d.names, n)
	}
	sort.Strings(d.names)
	return d
}

// Stat implements vfs.Inode.
func (d *dirInode) Stat(vfs.Context) (vfs.Stat, error) {
	var uid, gid uint32
	if d.proc != nil {
		uid, gid = owner(d.proc)
	}
	return d.stat(unix.S_IFDIR|0o555, uid, gid, 2), nil
}

// Lookup implements vfs.Inode.
func (d *dirInode) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	if k, ok := d.kids[name]; ok {
		return k, nil
	}
	return nil, unix.ENOENT
}

// Create implements vfs.Inode.
func (d *dirInode) Create(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EACCES }

// Open implements vfs.Inode.
func (d *dirInode) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &staticDirFile{names: d.names, kids: d.kids}, nil
}

// staticDirFile lists a fixed set of entries: entry k at offset 2+k.
type staticDirFile struct {
	dirFileBase
	names []string
	kids  map[string]vfs.Inode
}

// IterDirents implements vfs.FileOperations.
func (f *staticDirFile) IterDirents(ctx vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	for k := off - 2; k >= 0 && k < int64(len(f.names)); k++ {
		name := f.names[k]
		st, err := f.kids[name].Stat(ctx)
		if err != nil {
			return err
		}
		if !emit(vfs.Dirent{Name: name, Ino: st.Ino, Type: vfs.DirentType(st.Mode), NextOff: k + 3}) {
			return nil
		}
	}
	return nil
}

// threadSelfLink is /proc/thread-self: a symlink to the calling thread's
// directory, "PID/task/TID".
type threadSelfLink struct {
	base
	fsys *Filesystem
}

// Stat implements vfs.Inode.
func (l *threadSelfLink) Stat(vfs.Context) (vfs.Stat, error) {
	return l.stat(unix.S_IFLNK|0o777, 0, 0, 1), nil
}

// Readlink implements vfs.Inode.
func (l *threadSelfLink) Readlink(ctx vfs.Context) (string, error) {
	tgid, tid := l.fsys.src.Self(ctx)
	if tgid == 0 {
		return "", unix.ENOENT
	}
	return fmt.Sprintf("%d/task/%d", tgid, tid), nil
}

// processFiles returns the files of /proc/PID beyond the links: stat,
// status and the rest for a ProcessInfo, mounts and mountinfo for all.
func (fs *Filesystem) processFiles(p Process, kids map[string]vfs.Inode) {
	kids["mounts"] = fs.newData(p, 0o444, func(ctx vfs.Context) ([]byte, error) {
		return formatMounts(fs.processMounts(p)), nil
	})
	kids["mountinfo"] = fs.newData(p, 0o444, func(ctx vfs.Context) ([]byte, error) {
		return formatMountinfo(fs.processMounts(p)), nil
	})
	kids["fdinfo"] = &fdInfoDir{base: fs.newBase(), fsys: fs, proc: p, files: make(map[int32]*dataFile)}
	fs.namespaceFiles(p, kids)
	pi, ok := p.(ProcessInfo)
	if !ok {
		return
	}
	tgid := p.ThreadGroupID()
	fs.taskFiles(pi, p, tgid, true, kids)
	kids["cmdline"] = fs.newData(p, 0o444, func(vfs.Context) ([]byte, error) {
		return pi.Cmdline(), nil
	})
	kids["environ"] = fs.newData(p, 0o400, func(ctx vfs.Context) ([]byte, error) {
		if !mayInspect(ctx, p) {
			return nil, unix.EACCES
		}
		return pi.Environ(), nil
	})
	kids["limits"] = fs.newData(p, 0o444, func(vfs.Context) ([]byte, error) {
		return formatLimits(pi.Limits()), nil
	})
	kids["auxv"] = fs.newData(p, 0o400, func(ctx vfs.Context) ([]byte, error) {
		if !mayInspect(ctx, p) {
			return nil, unix.EACCES
		}
		return pi.Auxv(), nil
	})
	kids["task"] = &taskDir{base: fs.newBase(), fsys: fs, proc: p, info: pi, tasks: make(map[int32]*dirInode)}
}

// taskFiles adds stat, statm, status and comm of thread tid (of the whole
// process if whole) to kids.
func (fs *Filesystem) taskFiles(pi ProcessInfo, p Process, tid int32, whole bool, kids map[string]vfs.Inode) {
	get := func(ctx vfs.Context) (*TaskStat, error) {
		st, ok := pi.TaskStat(ctx, tid, whole)
		if !ok {
			return nil, unix.ESRCH
		}
		return &st, nil
	}
	kids["stat"] = fs.newData(p, 0o444, func(ctx vfs.Context) ([]byte, error) {
		st, err := get(ctx)
		if err != nil {
			return nil, err
		}
		return formatStat(st), nil
	})
	kids["status"] = fs.newData(p, 0o444, func(ctx vfs.Context) ([]byte, error) {
		st, err := get(ctx)
		if err != nil {
			return nil, err
		}
		return formatStatus(st, fs.numCPU()), nil
	})
	// The threads of a process share its mappings: /proc/PID/maps and
	// /proc/PID/task/TID/maps (which gdb reads to find the vDSO) agree.
	kids["maps"] = fs.newData(p, 0o444, func(ctx vfs.Context) ([]byte, error) {
		if !mayInspect(ctx, p) {
			return nil, unix.EACCES
		}
		return formatMaps(pi.Maps(ctx)), nil
	})
	kids["smaps"] = fs.newData(p, 0o444, func(ctx vfs.Context) ([]byte, error) {
		if !mayInspect(ctx, p) {
			return nil, unix.EACCES
		}
		return formatSmaps(pi.Smaps(ctx)), nil
	})
	kids["statm"] = fs.newData(p, 0o444, func(ctx vfs.Context) ([]byte, error) {
		st, err := get(ctx)
		if err != nil {
			return nil, err
		}
		return formatStatm(st), nil
	})
	comm := fs.newData(p, 0o644, func(ctx vfs.Context) ([]byte, error) {
		st, err := get(ctx)
		if err != nil {
			return nil, err
		}
		return []byte(st.Comm + "\n"), nil
	})
	// Linux lets only the process's own threads rename it, and keeps
	// what is written up to the first NUL, newline included.
	comm.write = func(ctx vfs.Context, src []byte) (int, error) {
		if self, _ := fs.src.Self(ctx); self == 0 || self != p.ThreadGroupID() {
			return 0, unix.EINVAL
		}
		name := src
		if len(name) > 15 {
			name = name[:15]
		}
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if err := pi.SetComm(tid, string(name)); err != nil {
			return 0, err
		}
		return len(src), nil
	}
	kids["comm"] = comm
	// The memory is the process's; gdb opens it through
	// /proc/PID/task/TID/mem.
	kids["mem"] = &memFile{base: fs.newBase(), proc: p}
	kids["pagemap"] = &pagemapFile{base: fs.newBase(), proc: p}
}

// processRoot is p's root directory (zero Path once p has exited).
func (fs *Filesystem) processRoot(p Process) vfs.Path {
	fsc := p.FSContext()
	if fsc == nil {
		return vfs.Path{}
	}
	return fsc.Root()
}

// processMounts lists the mounts as process p sees them from its root.
func (fs *Filesystem) processMounts(p Process) []vfs.MountInfo {
	root := fs.processRoot(p)
	if !root.Ok() {
		return nil
	}
	return fs.v.Mounts(root)
}

func (fs *Filesystem) numCPU() int {
	if si, ok := fs.src.(SystemInfo); ok {
		return si.NumCPU()
	}
	return 1
}

// taskDir is /proc/PID/task.
type taskDir struct {
	base
	fsys *Filesystem
	proc Process
	info ProcessInfo

	// mu guards tasks.
	mu sync.Mutex
	// tasks caches the directory of each thread looked up.
	tasks map[int32]*dirInode
}

// Stat implements vfs.Inode.
func (d *taskDir) Stat(vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(d.proc)
	return d.stat(unix.S_IFDIR|0o555, uid, gid, 2), nil
}

func (d *taskDir) has(tid int32) bool {
	for _, t := range d.info.Threads() {
		if t == tid {
			return true
		}
	}
	return false
}

func (d *taskDir) dir(tid int32) *dirInode {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.tasks[tid]; t != nil {
		return t
	}
	kids := make(map[string]vfs.Inode)
	d.fsys.taskFiles(d.info, d.proc, tid, false, kids)
	t := d.fsys.newDir(d.proc, kids)
	d.tasks[tid] = t
	return t
}

// Lookup implements vfs.Inode.
func (d *taskDir) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	tid, ok := parsePID(name)
	if !ok || !d.has(tid) {
		return nil, unix.ENOENT
	}
	return d.dir(tid), nil
}

// Revalidate implements vfs.Revalidator: a thread's entry lasts while
// the thread lives.
func (d *taskDir) Revalidate(_ vfs.Context, name string, _ vfs.Inode) bool {
	tid, ok := parsePID(name)
	if ok && d.has(tid) {
		return true
	}
	d.mu.Lock()
	delete(d.tasks, tid)
	d.mu.Unlock()
	return false
}

// Create implements vfs.Inode.
func (d *taskDir) Create(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EACCES }

// Open implements vfs.Inode.
func (d *taskDir) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &taskDirFile{d: d}, nil
}

// taskDirFile lists /proc/PID/task: thread T at offset T+2.
type taskDirFile struct {
	dirFileBase
	d *taskDir
}

// IterDirents implements vfs.FileOperations.
func (f *taskDirFile) IterDirents(_ vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	for _, tid := range f.d.info.Threads() {
		if int64(tid)+2 < off {
			continue
		}
		t := f.d.dir(tid)
		if !emit(vfs.Dirent{Name: strconv.Itoa(int(tid)), Ino: t.ino, Type: unix.DT_DIR, NextOff: int64(tid) + 3}) {
			return nil
		}
	}
	return nil
}

// systemFiles returns the entries of /proc besides self and the pids.
func (fs *Filesystem) systemFiles() map[string]vfs.Inode {
	kids := map[string]vfs.Inode{
		"mounts":      fs.staticLink("self/mounts"),
		"thread-self": &threadSelfLink{base: fs.newBase(), fsys: fs},
		"filesystems": fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return formatFilesystems(fs.v.FilesystemTypes()), nil
		}),
	}
	si, ok := fs.src.(SystemInfo)
	if !ok {
		return kids
	}
	kids["meminfo"] = fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
		total, free, avail := si.MemInfo()
		cached, shmem := si.PageCache()
		limit, committed := si.Commit()
		return formatMeminfo(total, free, avail, cached, shmem, limit, committed), nil
	})
	kids["vmstat"] = fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
		_, free, _ := si.MemInfo()
		cached, shmem := si.PageCache()
		return formatVmstat(free, cached, shmem), nil
	})
	kids["cpuinfo"] = fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
		return si.CPUInfo(), nil
	})
	kids["uptime"] = fs.newData(nil, 0o444, func(ctx vfs.Context) ([]byte, error) {
		return formatUptime(si.Uptime(ctx)), nil
	})
	kids["loadavg"] = fs.newData(nil, 0o444, func(ctx vfs.Context) ([]byte, error) {
		pids := fs.src.Processes(ctx)
		last := int32(0)
		if len(pids) > 0 {
			last = pids[len(pids)-1]
		}
		avg, running, threads := si.LoadAverage()
		return formatLoadavg(avg, running, threads, last), nil
	})
	kids["stat"] = fs.newData(nil, 0o444, func(ctx vfs.Context) ([]byte, error) {
		boot := time.Now().Add(-si.Uptime(ctx))
		forks := uint64(len(fs.src.Processes(ctx)))
		if fc, ok := si.(ForkCounter); ok {
			forks = fc.Forks()
		}
		_, running, _ := si.LoadAverage()
		return formatSystemStat(si.NumCPU(), boot, forks, running), nil
	})
	kids["version"] = fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
		return []byte(VersionLine(si.Release(), si.Version()) + "\n"), nil
	})
	kernel := map[string]vfs.Inode{
		"hostname": fs.newData(nil, 0o444, func(ctx vfs.Context) ([]byte, error) {
			return []byte(si.Hostname(ctx) + "\n"), nil
		}),
		"ostype": fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte("Linux\n"), nil
		}),
		"osrelease": fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte(si.Release() + "\n"), nil
		}),
		"pid_max": fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte(strconv.Itoa(si.PIDMax()) + "\n"), nil
		}),
		// The highest capability and the most supplementary groups
		// kite knows (read-only on Linux too).
		"cap_last_cap": fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte(strconv.Itoa(auth.LastCap) + "\n"), nil
		}),
		"ngroups_max": fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte(strconv.Itoa(auth.NGroupsMax) + "\n"), nil
		}),
		// The ids shown for ids a user namespace does not map.
		"overflowuid": fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte("65534\n"), nil
		}),
		"overflowgid": fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte("65534\n"), nil
		}),
	}
	if ii, ok := fs.src.(IPCInfo); ok {
		fs.ipcFiles(ii, kids, kernel)
	}
	vm := fs.vmFiles(si)
	var fixedFS map[string]int64
	if ki, ok := fs.src.(KernelSysctlInfo); ok {
		kernel["random"] = fs.randomSysctls(ki)
		fixedFS = make(map[string]int64)
		for path, v := range ki.FixedSysctls() {
			dir, name, _ := strings.Cut(path, "/")
			text := []byte(strconv.FormatInt(v, 10) + "\n")
			d := fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) { return text, nil })
			switch dir {
			case "kernel":
				kernel[name] = d
			case "vm":
				vm[name] = d
			case "fs":
				fixedFS[name] = v
			}
		}
	}
	for _, m := range []map[string]vfs.Inode{kernel, vm} {
		for name, ino := range m {
			if d, ok := ino.(*dataFile); ok {
				m[name] = &sysctlFile{d}
			}
		}
	}
	sys := map[string]vfs.Inode{"kernel": fs.newDir(nil, kernel), "vm": fs.newDir(nil, vm)}
	if ni, ok := fs.src.(NetSysctlInfo); ok {
		w, _ := fs.src.(NetSysctlWriter)
		sys["net"] = fs.sysctlTree(ni.NetSysctls(), w)
	}
	if fi, ok := fs.src.(FSSysctlInfo); ok {
		sys["fs"] = fs.fsSysctls(fi, fixedFS)
	}
	kids["sys"] = fs.newDir(nil, sys)
	if ni, ok := fs.src.(NetInfo); ok {
		net := make(map[string]vfs.Inode)
		for name, gen := range ni.NetFiles() {
			net[name] = fs.newData(nil, 0o444, func(ctx vfs.Context) ([]byte, error) { return gen(ctx), nil })
		}
		kids["net"] = fs.newDir(nil, net)
	}
	return kids
}

// sysctlFile is a file of /proc/sys/kernel or /proc/sys/vm: its mode
// holds for root too, as Linux's proc_sys_permission checks (root gets
// the owner's bits, group root the group's, without overriding them), so
// root cannot open a read-only sysctl for writing (EACCES).
type sysctlFile struct {
	*dataFile
}

// Permission implements vfs.PermissionChecker.
func (f *sysctlFile) Permission(ctx vfs.Context, want int) error {
	return sysctlPermission(ctx.Credentials(), f.mode, ctx.Credentials().EffectiveUID == 0, 0, want)
}

// sysctlPermission is the access check of every sysctl file (Linux's
// test_perm): the caller gets the owner's bits of mode when owner, the
// group's when it is in group gid, the others' otherwise, and wanting
// more (auth.May*) is EACCES. The bits hold for root too: no capability
// overrides them (proc_sys_permission), so nobody opens a read-only
// sysctl for writing.
func sysctlPermission(c *auth.Credentials, mode uint32, owner bool, gid uint32, want int) error {
	switch {
	case owner:
		mode >>= 6
	case c.EffectiveGID == gid || slices.Contains(c.Groups, gid):
		mode >>= 3
	}
	if want&^int(mode&7)&(auth.MayRead|auth.MayWrite|auth.MayExec) != 0 {
		return unix.EACCES
	}
	return nil
}

// Unmappable implements vfs.Unmappable: generated files have no mmap.
func (o *dataFileOps) Unmappable() {}

// vmFiles are /proc/sys/vm: the overcommit policy, written as Linux's
// proc_dointvec_minmax reads an integer (overcommit_memory 0 to 2).
func (fs *Filesystem) vmFiles(si SystemInfo) map[string]vfs.Inode {
	file := func(get func() int, set func(int) error) *dataFile {
		d := fs.newData(nil, 0o644, func(vfs.Context) ([]byte, error) {
			return []byte(strconv.Itoa(get()) + "\n"), nil
		})
		d.write = func(_ vfs.Context, src []byte) (int, error) {
			n, err := strconv.Atoi(strings.TrimSpace(string(src)))
			if err != nil || n < 0 {
				return 0, unix.EINVAL
			}
			if err := set(n); err != nil {
				return 0, err
			}
			return len(src), nil
		}
		return d
	}
	return map[string]vfs.Inode{
		"overcommit_memory": file(func() int { m, _ := si.Overcommit(); return m },
			func(n int) error { return si.SetOvercommit(n, -1) }),
		"overcommit_ratio": file(func() int { _, r := si.Overcommit(); return r },
			func(n int) error { return si.SetOvercommit(-1, n) }),
	}
}

// fsSysctls makes /proc/sys/fs from fi's files and the fixed ones (read
// only).
func (fs *Filesystem) fsSysctls(fi FSSysctlInfo, fixed map[string]int64) vfs.Inode {
	files := make(map[string]func(vfs.Context) []byte)
	for _, name := range fi.FSSysctls() {
		files[name] = func(vfs.Context) []byte { return []byte(fi.FSSysctl(name)) }
	}
	for name, v := range fixed {
		text := []byte(strconv.FormatInt(v, 10) + "\n")
		files[name] = func(vfs.Context) []byte { return text }
	}
	return fs.sysctlTree(files, fsSysctlWriter{fi, fixed})
}

// fsSysctlWriter makes every /proc/sys/fs file but the fixed ones
// writable.
type fsSysctlWriter struct {
	fi    FSSysctlInfo
	fixed map[string]int64
}

func (w fsSysctlWriter) NetSysctlWritable(name string) bool {
	_, fixed := w.fixed[name]
	return !fixed
}
func (w fsSysctlWriter) SetNetSysctl(_ vfs.Context, name string, value []byte) error {
	return w.fi.SetFSSysctl(name, string(value))
}

// sysctlTree makes the directories of files named by slash-separated
// paths (/proc/sys/net's "ipv4/tcp_rmem"), each file read only.
func (fs *Filesystem) sysctlTree(files map[string]func(vfs.Context) []byte, w NetSysctlWriter) vfs.Inode {
	type dir map[string]any
	type file struct {
		path string
		gen  func(vfs.Context) []byte
	}
	root := dir{}
	for path, gen := range files {
		d := root
		parts := strings.Split(path, "/")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := d[p].(dir)
			if !ok {
				sub = dir{}
				d[p] = sub
			}
			d = sub
		}
		d[parts[len(parts)-1]] = file{path, gen}
	}
	var build func(d dir) vfs.Inode
	build = func(d dir) vfs.Inode {
		kids := make(map[string]vfs.Inode, len(d))
		for name, v := range d {
			switch v := v.(type) {
			case dir:
				kids[name] = build(v)
			case file:
				if w == nil {
					kids[name] = fs.newData(nil, 0o444, func(ctx vfs.Context) ([]byte, error) { return v.gen(ctx), nil })
					continue
				}
				owner, _ := w.(NetSysctlOwner)
				if !w.NetSysctlWritable(v.path) {
					d := fs.newData(nil, 0o444, func(ctx vfs.Context) ([]byte, error) { return v.gen(ctx), nil })
					kids[name] = netSysctlInode(d, owner)
					continue
				}
				d := fs.newData(nil, 0o644, func(ctx vfs.Context) ([]byte, error) { return v.gen(ctx), nil })
				d.write = func(ctx vfs.Context, src []byte) (int, error) {
					if err := w.SetNetSysctl(ctx, v.path, src); err != nil {
						return 0, err
					}
					return len(src), nil
				}
				kids[name] = netSysctlInode(d, owner)
			}
		}
		return fs.newDir(nil, kids)
	}
	return build(root)
}

// VersionLine is /proc/version's line (without its newline), which the
// kernel also logs at boot as its banner: the release and uname's
// version.
func VersionLine(release, version string) string {
	return fmt.Sprintf("Linux version %s (kite@kite) (go) %s", release, version)
}

// randomSysctls makes /proc/sys/kernel/random. Since Linux 5.18 the
// pool is a fixed 256 bits, always full: entropy_avail and poolsize
// read 256, and urandom_min_reseed_secs (60) and
// write_wakeup_threshold (256) are kept only for compatibility, taking
// writes and ignoring them as Linux does.
func (fs *Filesystem) randomSysctls(ki KernelSysctlInfo) vfs.Inode {
	fixed := func(mode uint32, text string) vfs.Inode {
		d := fs.newData(nil, mode, func(vfs.Context) ([]byte, error) { return []byte(text), nil })
		if mode&0o200 != 0 {
			// Linux takes any text without reading it.
			d.write = func(_ vfs.Context, src []byte) (int, error) { return len(src), nil }
		}
		return &sysctlFile{d}
	}
	return fs.newDir(nil, map[string]vfs.Inode{
		"boot_id": &sysctlFile{fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte(ki.BootID() + "\n"), nil
		})},
		// A new UUID for every read from the start of the file.
		"uuid": &sysctlFile{fs.newData(nil, 0o444, func(vfs.Context) ([]byte, error) {
			return []byte(RandomUUID() + "\n"), nil
		})},
		"entropy_avail":           fixed(0o444, "256\n"),
		"poolsize":                fixed(0o444, "256\n"),
		"urandom_min_reseed_secs": fixed(0o644, "60\n"),
		"write_wakeup_threshold":  fixed(0o644, "256\n"),
	})
}

// RandomUUID is a random (version 4, RFC 4122 variant) UUID as Linux
// writes one: lowercase hex in groups of 8-4-4-4-12.
func RandomUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
