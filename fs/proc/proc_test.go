package proc

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/dev"
	"github.com/kite-os/kite/fs/hostfs"
	"github.com/kite-os/kite/vfs"
)

// fakeProc is a process for the tests.
type fakeProc struct {
	pid   int32
	creds *auth.Credentials
	exe   vfs.Path
	fdt   *vfs.FDTable
	fsc   *vfs.FSContext
	comm  string // set through /proc/PID/comm
}

func (p *fakeProc) ThreadGroupID() int32           { return p.pid }
func (p *fakeProc) Credentials() *auth.Credentials { return p.creds }
func (p *fakeProc) Executable() vfs.Path           { return p.exe }
func (p *fakeProc) FDTable() *vfs.FDTable          { return p.fdt }
func (p *fakeProc) FSContext() *vfs.FSContext      { return p.fsc }

// fakeKernel is a Source.
type fakeKernel struct {
	mu    sync.Mutex
	procs map[int32]*fakeProc
}

func (k *fakeKernel) Process(_ vfs.Context, pid int32) Process {
	k.mu.Lock()
	defer k.mu.Unlock()
	if p := k.procs[pid]; p != nil {
		return p
	}
	return nil
}

func (k *fakeKernel) Processes(vfs.Context) []int32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	var pids []int32
	for pid := range k.procs {
		pids = append(pids, pid)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	return pids
}

func (k *fakeKernel) Self(ctx vfs.Context) (int32, int32) { return ctx.ThreadGroupID(), ctx.ThreadID() }

func (k *fakeKernel) ForMount(vfs.Context) Source { return k }

// taskCtx is the Context of a task of process pid.
type taskCtx struct {
	vfs.KernelContext
	pid   int32
	creds *auth.Credentials
}

func (c taskCtx) Credentials() *auth.Credentials { return c.creds }
func (c taskCtx) ThreadGroupID() int32           { return c.pid }
func (c taskCtx) ThreadID() int32                { return c.pid }

type world struct {
	v    *vfs.VirtualFilesystem
	fsc  *vfs.FSContext
	k    *fakeKernel
	p    *fakeProc
	ctx  taskCtx
	pipe *vfs.File
}

type plainCtx struct{ vfs.KernelContext }

// newWorld builds "/" (a host temp dir with bin/prog, dev/, proc/), kite's
// /dev and /proc, and process 7 with /dev/null at fd 0 and a pipe at fd 1.
func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"bin", "dev", "proc", "home"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "prog"), []byte("\x7fELF"), 0o755); err != nil {
		t.Fatal(err)
	}
	hfs, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hfs.Close)
	ctx0 := plainCtx{}
	v := vfs.New()
	dev.RegisterDevices(v)
	ns, err := v.NewMountNamespace(ctx0, hfs, vfs.MountReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	k := &fakeKernel{procs: map[int32]*fakeProc{}}
	mount := func(at string, fs vfs.Filesystem) {
		p, err := v.GetPath(ctx0, fsc, fsc.Root(), at, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Mount(ctx0, p, fs, 0); err != nil {
			t.Fatal(err)
		}
	}
	mount("/dev", dev.New(v.Now()))
	mount("/proc", New(v, k))

	exe, err := v.GetPath(ctx0, fsc, fsc.Root(), "/bin/prog", true)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProc{pid: 7, creds: auth.New(0, 0, nil), exe: exe, fdt: vfs.NewFDTable(), fsc: vfs.NewFSContext(fsc.Root())}
	home, _ := v.GetPath(ctx0, fsc, fsc.Root(), "/home", true)
	p.fsc.SetCwd(home)
	k.procs[7] = p
	w := &world{v: v, fsc: fsc, k: k, p: p, ctx: taskCtx{KernelContext: vfs.KernelContext{FS: fsc}, pid: 7, creds: p.creds}}
	null, err := v.OpenAt(w.ctx, fsc, fsc.Root(), "/dev/null", unix.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.fdt.NewFD(0, null, 0); err != nil {
		t.Fatal(err)
	}
	null.DecRef(w.ctx)
	pipe, err := v.NewAnonymousFile(w.ctx, "pipe:[5]", &pipeInode{}, vfs.StreamFile{}, unix.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.fdt.NewFD(0, pipe, 0); err != nil {
		t.Fatal(err)
	}
	pipe.DecRef(w.ctx)
	return w
}

type pipeInode struct{ vfs.InodeDefaults }

func (pipeInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Ino: 5, Mode: unix.S_IFIFO | 0o600, Nlink: 1}, nil
}

func (w *world) readlink(path string) (string, error) {
	return w.v.ReadlinkAt(w.ctx, w.fsc, w.fsc.Root(), path)
}

func (w *world) list(t *testing.T, path string) []string {
	t.Helper()
	f, err := w.v.OpenAt(w.ctx, w.fsc, w.fsc.Root(), path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef(w.ctx)
	var names []string
	if err := f.Getdents(w.ctx, func(d vfs.Dirent) bool {
		names = append(names, d.Name)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestSelfAndLinks(t *testing.T) {
	w := newWorld(t)
	for path, want := range map[string]string{
		"/proc/self":      "7",
		"/proc/self/exe":  "/bin/prog",
		"/proc/7/exe":     "/bin/prog",
		"/proc/self/cwd":  "/home",
		"/proc/self/root": "/",
		"/proc/self/fd/0": "/dev/null",
		"/proc/self/fd/1": "pipe:[5]",
	} {
		got, err := w.readlink(path)
		if err != nil || got != want {
			t.Errorf("readlink %s = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"/proc/8", "/proc/007", "/proc/self/fd/2", "/proc/self/nosuch", "/proc/+7"} {
		if _, err := w.v.StatAt(w.ctx, w.fsc, w.fsc.Root(), path, false); err != unix.ENOENT {
			t.Errorf("stat %s = %v, want ENOENT", path, err)
		}
	}
	// Without a calling process, /proc/self has no target.
	if _, err := w.v.ReadlinkAt(plainCtx{}, w.fsc, w.fsc.Root(), "/proc/self"); err != unix.ENOENT {
		t.Errorf("readlink /proc/self from the kernel = %v", err)
	}
}

func TestMagicLinksResolve(t *testing.T) {
	w := newWorld(t)
	st, err := w.v.StatAt(w.ctx, w.fsc, w.fsc.Root(), "/proc/self/fd/0", true)
	if err != nil || st.Type() != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("stat fd/0 = %+v, %v", st, err)
	}
	lst, err := w.v.StatAt(w.ctx, w.fsc, w.fsc.Root(), "/proc/self/fd/0", false)
	if err != nil || lst.Mode != unix.S_IFLNK|0o700 {
		t.Errorf("lstat fd/0 mode %#o, %v", lst.Mode, err)
	}
	lst, _ = w.v.StatAt(w.ctx, w.fsc, w.fsc.Root(), "/proc/self/fd/1", false)
	if lst.Mode != unix.S_IFLNK|0o300 {
		t.Errorf("lstat fd/1 (write-only) mode %#o", lst.Mode)
	}
	f, err := w.v.OpenAt(w.ctx, w.fsc, w.fsc.Root(), "/proc/self/fd/0", unix.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.Write(w.ctx, []byte("abc")); n != 3 || err != nil {
		t.Errorf("write through fd/0 = %d, %v", n, err)
	}
	f.DecRef(w.ctx)
	exe, err := w.v.StatAt(w.ctx, w.fsc, w.fsc.Root(), "/proc/self/exe", true)
	if err != nil || exe.Type() != unix.S_IFREG || exe.Size != 4 {
		t.Errorf("stat exe = %+v, %v", exe, err)
	}
	// /proc/self/cwd/.. walks from the process's cwd.
	up, err := w.v.GetPath(w.ctx, w.fsc, w.fsc.Root(), "/proc/self/cwd/../bin/prog", true)
	if err != nil || w.v.PathName(w.fsc.Root(), up) != "/bin/prog" {
		t.Errorf("cwd/../bin/prog: %v", err)
	}
}

func TestListings(t *testing.T) {
	w := newWorld(t)
	if got := strings.Join(w.list(t, "/proc"), " "); got != ". .. self cpuinfo filesystems loadavg meminfo mounts stat sys thread-self uptime version vmstat 7" {
		t.Errorf("ls /proc = %q", got)
	}
	if got := strings.Join(w.list(t, "/proc/self"), " "); got != ". .. auxv cmdline comm cwd environ exe fd fdinfo gid_map limits maps mem mountinfo mounts pagemap root setgroups smaps stat statm status task uid_map" {
		t.Errorf("ls /proc/self = %q", got)
	}
	if got := strings.Join(w.list(t, "/proc/self/fd"), " "); got != ". .. 0 1" {
		t.Errorf("ls /proc/self/fd = %q", got)
	}
}

func TestFDClosedAndProcessGone(t *testing.T) {
	w := newWorld(t)
	if _, err := w.readlink("/proc/self/fd/1"); err != nil {
		t.Fatal(err)
	}
	if err := w.p.fdt.Remove(w.ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := w.readlink("/proc/self/fd/1"); err != unix.ENOENT {
		t.Errorf("readlink closed fd = %v, want ENOENT", err)
	}
	if _, err := w.readlink("/proc/7/exe"); err != nil {
		t.Fatal(err)
	}
	w.k.mu.Lock()
	delete(w.k.procs, 7)
	w.k.mu.Unlock()
	if _, err := w.v.StatAt(plainCtx{}, w.fsc, w.fsc.Root(), "/proc/7", false); err != unix.ENOENT {
		t.Errorf("stat /proc/7 after exit = %v, want ENOENT", err)
	}
}

func TestOtherUserDenied(t *testing.T) {
	w := newWorld(t)
	other := taskCtx{pid: 9, creds: auth.New(1000, 1000, nil)}
	w.k.procs[9] = &fakeProc{pid: 9, creds: other.creds, fdt: vfs.NewFDTable(), fsc: vfs.NewFSContext(w.fsc.Root())}
	if _, err := w.v.ReadlinkAt(other, w.fsc, w.fsc.Root(), "/proc/7/exe"); err != unix.EACCES {
		t.Errorf("readlink other's exe = %v, want EACCES", err)
	}
	if _, err := w.v.ReadlinkAt(other, w.fsc, w.fsc.Root(), "/proc/7/fd/0"); err != unix.EACCES {
		t.Errorf("readlink other's fd = %v, want EACCES", err)
	}
	if got, err := w.v.ReadlinkAt(other, w.fsc, w.fsc.Root(), "/proc/self"); got != "9" || err != nil {
		t.Errorf("other's /proc/self = %q, %v", got, err)
	}
}

func TestAccessKeepsCaller(t *testing.T) {
	w := newWorld(t)
	// Real uid differs from the fsuid, so access(2) wraps the context.
	c := auth.New(0, 0, nil)
	c.RealUID = 1000
	ctx := taskCtx{KernelContext: vfs.KernelContext{FS: w.fsc}, pid: 7, creds: c}
	if err := w.v.AccessAt(ctx, w.fsc, w.fsc.Root(), "/proc/self", 0, 0); err != nil {
		t.Errorf("access /proc/self = %v", err)
	}
}

func TestParsePID(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "7": true, "123": true, "007": false, "": false, "-1": false, "1a": false, "99999999999": false} {
		if _, ok := parsePID(s); ok != want {
			t.Errorf("parsePID(%q) = %v", s, ok)
		}
	}
}

func TestRegisterType(t *testing.T) {
	w := newWorld(t)
	RegisterType(w.v, w.k)
	at, err := w.v.GetPath(w.ctx, w.fsc, w.fsc.Root(), "/home", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.v.NewMount(w.ctx, "proc", "proc", at, 0, "hidepid=2"); err != unix.EINVAL {
		t.Errorf("mount proc with options = %v", err)
	}
	if err := w.v.NewMount(w.ctx, "proc", "proc", at, 0, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := w.readlink("/home/self"); got != "7" || err != nil {
		t.Errorf("second proc mount: self = %q, %v", got, err)
	}
}
