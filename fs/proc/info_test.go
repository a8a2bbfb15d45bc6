package proc

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// The fake process and kernel also show the status files.

func (p *fakeProc) Threads() []int32 { return []int32{p.pid, p.pid + 1} }

func (p *fakeProc) TaskStat(_ vfs.Context, tid int32, whole bool) (TaskStat, bool) {
	if tid != p.pid && tid != p.pid+1 {
		return TaskStat{}, false
	}
	st := TaskStat{
		Comm: "prog", State: 'S', PID: tid, TGID: p.pid, PPID: 1, PGRP: p.pid, Session: 1, TPGID: -1,
		UIDs: [4]uint32{1000, 1000, 1000, 1000}, GIDs: [4]uint32{100, 100, 100, 100},
		Groups: []uint32{4, 24}, Umask: 0o22, FDSize: 64,
		UTime: 250 * time.Millisecond, STime: 10 * time.Millisecond, NumThreads: 2,
		Start: 3 * time.Second, HasMM: true, VmSize: 8 << 20, VmRSS: 1 << 20, VmStk: 132 << 10,
		SigQ: 1, SigQLimit: 4096, SigBlk: 1 << 9, SigCgt: 1<<1 | 1<<40, ExitSignal: 17,
		ArgStart: 0x7ffe0000, ArgEnd: 0x7ffe0010, EnvStart: 0x7ffe0010, EnvEnd: 0x7ffe0020,
	}
	if p.comm != "" {
		st.Comm = p.comm
	}
	if tid != p.pid {
		st.Comm = "worker"
		st.State = 'R'
	}
	return st, true
}

func (p *fakeProc) SetComm(tid int32, name string) error {
	if tid != p.pid {
		return unix.ESRCH
	}
	p.comm = name
	return nil
}

func (p *fakeProc) Limits() [NumLimits]RLimit {
	var ls [NumLimits]RLimit
	for i := range ls {
		ls[i] = RLimit{^uint64(0), ^uint64(0)}
	}
	ls[unix.RLIMIT_NOFILE] = RLimit{1024, 4096}
	ls[unix.RLIMIT_NICE] = RLimit{0, 0}
	return ls
}

func (p *fakeProc) Auxv() []byte {
	return []byte{6, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
}

func (p *fakeProc) Cmdline() []byte { return []byte("prog\x00-x\x00") }
func (p *fakeProc) Environ() []byte { return []byte("A=1\x00") }

func (p *fakeProc) Smaps(ctx vfs.Context) []Mapping { return p.Maps(ctx) }

func (p *fakeProc) Maps(vfs.Context) []Mapping {
	return []Mapping{
		{Start: 0x400000, End: 0x401000, Read: true, Exec: true, DevMajor: 0xfe, Inode: 247278, Path: "/bin/prog"},
		{Start: 0x402000, End: 0x423000, Read: true, Write: true, Path: "[heap]"},
		{Start: 0x7f0000000000, End: 0x7f0000001000, Read: true, Write: true},
		{Start: 0x7ffd21551000, End: 0x7ffd21572000, Read: true, Write: true, Path: "[stack]"},
	}
}

func (k *fakeKernel) MemInfo() (uint64, uint64, uint64) { return 1 << 30, 512 << 20, 768 << 20 }
func (k *fakeKernel) PageCache() (uint64, uint64)       { return 96 << 20, 64 << 20 }
func (k *fakeKernel) Commit() (uint64, uint64)          { return 512 << 20, 300 << 20 }
func (k *fakeKernel) Overcommit() (int, int)            { return 0, 50 }
func (k *fakeKernel) SetOvercommit(int, int) error      { return nil }
func (k *fakeKernel) CPUInfo() []byte                   { return []byte("processor\t: 0\n\n") }
func (k *fakeKernel) Uptime(vfs.Context) time.Duration {
	return 6292*time.Second + 190*time.Millisecond
}
func (k *fakeKernel) NumCPU() int                 { return 2 }
func (k *fakeKernel) Hostname(vfs.Context) string { return "box" }
func (k *fakeKernel) Release() string             { return "6.6.0-kite" }
func (k *fakeKernel) Version() string             { return "#1 SMP kite" }
func (k *fakeKernel) PIDMax() int                 { return 4194304 }
func (k *fakeKernel) LoadAverage() ([3]uint64, int, int) {
	return [3]uint64{2048 + 1024, 100, 0}, 2, 5
}

func (w *world) read(t *testing.T, path string) (string, error) {
	t.Helper()
	f, err := w.v.OpenAt(w.ctx, w.fsc, w.fsc.Root(), path, unix.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.DecRef(w.ctx)
	var out []byte
	buf := make([]byte, 7) // small reads: the snapshot must hold across them
	for {
		n, err := f.Read(w.ctx, buf)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return string(out), nil
		}
		out = append(out, buf[:n]...)
	}
}

func (w *world) mustRead(t *testing.T, path string) string {
	t.Helper()
	s, err := w.read(t, path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return s
}

func TestStatFormat(t *testing.T) {
	w := newWorld(t)
	got := w.mustRead(t, "/proc/self/stat")
	want := "7 (prog) S 1 7 1 0 -1 0 0 0 0 0 25 1 0 0 20 0 2 0 300 8388608 256 18446744073709551615 0 0 0 0 0 0 512 0 2 0 0 0 17 0 0 0 0 0 0 0 0 0 2147352576 2147352592 2147352592 2147352608 0\n"
	if got != want {
		t.Errorf("stat:\n got %q\nwant %q", got, want)
	}
	if n := len(strings.Fields(got)); n != 52 {
		t.Errorf("stat has %d fields, want 52", n)
	}
	if got := w.mustRead(t, "/proc/self/statm"); got != "2048 256 0 0 0 33 0\n" {
		t.Errorf("statm = %q", got)
	}
	if got := w.mustRead(t, "/proc/7/task/8/stat"); !strings.HasPrefix(got, "8 (worker) R 1 ") {
		t.Errorf("task stat = %q", got)
	}
}

func TestStatusFormat(t *testing.T) {
	w := newWorld(t)
	got := w.mustRead(t, "/proc/self/status")
	for _, line := range []string{
		"Name:\tprog\n", "Umask:\t0022\n", "State:\tS (sleeping)\n", "Tgid:\t7\n", "Pid:\t7\n", "PPid:\t1\n",
		"Uid:\t1000\t1000\t1000\t1000\n", "Gid:\t100\t100\t100\t100\n", "FDSize:\t64\n", "Groups:\t4 24 \n",
		"VmSize:\t    8192 kB\n", "VmRSS:\t    1024 kB\n", "VmStk:\t     132 kB\n", "Threads:\t2\n", "SigQ:\t1/4096\n",
		"SigPnd:\t0000000000000000\n", "SigBlk:\t0000000000000200\n", "SigCgt:\t0000010000000002\n",
		"Cpus_allowed:\t3\n", "Cpus_allowed_list:\t0-1\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("status lacks %q:\n%s", line, got)
		}
	}
	if !strings.HasPrefix(got, "Name:\tprog\nUmask:") {
		t.Errorf("status starts %q", got[:20])
	}
	if got := w.mustRead(t, "/proc/7/task/8/status"); !strings.Contains(got, "Name:\tworker\nUmask:\t0022\nState:\tR (running)\nTgid:\t7\nNgid:\t0\nPid:\t8\n") {
		t.Errorf("task status:\n%s", got)
	}
}

func TestCommCmdlineEnviron(t *testing.T) {
	w := newWorld(t)
	if got := w.mustRead(t, "/proc/self/comm"); got != "prog\n" {
		t.Errorf("comm = %q", got)
	}
	if got := w.mustRead(t, "/proc/7/task/8/comm"); got != "worker\n" {
		t.Errorf("task comm = %q", got)
	}
	if got := w.mustRead(t, "/proc/self/cmdline"); got != "prog\x00-x\x00" {
		t.Errorf("cmdline = %q", got)
	}
	if got := w.mustRead(t, "/proc/self/environ"); got != "A=1\x00" {
		t.Errorf("environ = %q", got)
	}
	// Root may open the read-only files for writing, as on Linux; the
	// writes fail.
	for path, want := range map[string]error{"/proc/self/stat": unix.EINVAL, "/proc/meminfo": unix.EIO} {
		f, err := w.v.OpenAt(w.ctx, w.fsc, w.fsc.Root(), path, unix.O_WRONLY, 0)
		if err != nil {
			t.Fatalf("open %s for writing: %v", path, err)
		}
		if _, err := f.Write(w.ctx, []byte("x")); err != want {
			t.Errorf("write %s: %v, want %v", path, err, want)
		}
		f.DecRef(w.ctx)
	}
	user := taskCtx{KernelContext: vfs.KernelContext{FS: w.fsc}, pid: 7, creds: auth.New(1000, 1000, nil)}
	if _, err := w.v.OpenAt(user, w.fsc, w.fsc.Root(), "/proc/meminfo", unix.O_WRONLY, 0); err != unix.EACCES {
		t.Errorf("open meminfo for writing as a user: %v", err)
	}
	// comm takes a rename from the process itself, newline and all.
	f, err := w.v.OpenAt(w.ctx, w.fsc, w.fsc.Root(), "/proc/self/comm", unix.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.Write(w.ctx, []byte("a-very-long-name-indeed\n")); n != 24 || err != nil {
		t.Errorf("write comm = %d, %v", n, err)
	}
	other := taskCtx{pid: 9, creds: w.ctx.creds}
	if _, err := f.Write(other, []byte("x")); err != unix.EINVAL {
		t.Errorf("write comm from another process: %v", err)
	}
	f.DecRef(w.ctx)
	if got := w.mustRead(t, "/proc/self/comm"); got != "a-very-long-nam\n" {
		t.Errorf("comm after write = %q", got)
	}
	if _, err := w.read(t, "/proc/7/task/9/stat"); err != unix.ENOENT {
		t.Errorf("missing thread: %v", err)
	}
	if got := strings.Join(w.list(t, "/proc/self/task"), " "); got != ". .. 7 8" {
		t.Errorf("ls task = %q", got)
	}
}

func TestMapsFormat(t *testing.T) {
	w := newWorld(t)
	want := "00400000-00401000 r-xp 00000000 fe:00 247278                             /bin/prog\n" +
		"00402000-00423000 rw-p 00000000 00:00 0                                  [heap]\n" +
		"7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n" +
		"7ffd21551000-7ffd21572000 rw-p 00000000 00:00 0                          [stack]\n"
	if got := w.mustRead(t, "/proc/self/maps"); got != want {
		t.Errorf("maps:\n%s\nwant:\n%s", got, want)
	}
}

func TestMounts(t *testing.T) {
	w := newWorld(t)
	got := w.mustRead(t, "/proc/mounts")
	if !strings.Contains(got, " /proc proc rw,relatime 0 0\n") || !strings.Contains(got, " / ") {
		t.Errorf("mounts:\n%s", got)
	}
	if !strings.HasSuffix(strings.SplitN(got, "\n", 2)[0], " / hostfs ro,relatime 0 0") {
		t.Errorf("first mount: %q", got)
	}
	mi := w.mustRead(t, "/proc/self/mountinfo")
	for _, l := range strings.Split(strings.TrimSuffix(mi, "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) != 10 || f[6] != "-" || !strings.Contains(f[2], ":") {
			t.Errorf("mountinfo line %q", l)
		}
	}
	if !strings.Contains(mi, " / /proc rw,relatime - proc proc rw\n") {
		t.Errorf("mountinfo:\n%s", mi)
	}
}

func TestSystemFiles(t *testing.T) {
	w := newWorld(t)
	for path, want := range map[string]string{
		"/proc/uptime":               "6292.19 0.00\n",
		"/proc/loadavg":              "1.50 0.05 0.00 2/5 7\n",
		"/proc/cpuinfo":              "processor\t: 0\n\n",
		"/proc/version":              "Linux version 6.6.0-kite (kite@kite) (go) #1 SMP kite\n",
		"/proc/sys/kernel/hostname":  "box\n",
		"/proc/sys/kernel/ostype":    "Linux\n",
		"/proc/sys/kernel/osrelease": "6.6.0-kite\n",
		"/proc/sys/kernel/pid_max":   "4194304\n",
	} {
		if got := w.mustRead(t, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	st := w.mustRead(t, "/proc/stat")
	boot := time.Now().Add(-(6292*time.Second + 190*time.Millisecond)).Unix()
	want := "cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime "
	if !strings.HasPrefix(st, want) || !strings.Contains(st, "\nprocesses 1\nprocs_running 2\n") {
		t.Errorf("stat:\n%s", st)
	}
	var btime int64
	if _, err := fmt.Sscanf(st[len(want):], "%d", &btime); err != nil || btime < boot-1 || btime > boot+1 {
		t.Errorf("btime %d, want about %d (%v)", btime, boot, err)
	}
	if got, err := w.readlink("/proc/thread-self"); got != "7/task/7" || err != nil {
		t.Errorf("thread-self -> %q, %v", got, err)
	}
	if got := w.mustRead(t, "/proc/thread-self/comm"); got != "prog\n" {
		t.Errorf("thread-self/comm = %q", got)
	}
	mi := w.mustRead(t, "/proc/meminfo")
	if !strings.HasPrefix(mi, "MemTotal:        1048576 kB\nMemFree:          524288 kB\nMemAvailable:     786432 kB\nBuffers:               0 kB\nCached:            98304 kB\n") ||
		!strings.Contains(mi, "\nShmem:             65536 kB\n") {
		t.Errorf("meminfo:\n%s", mi)
	}
}

func TestLimitsAuxvFDInfo(t *testing.T) {
	w := newWorld(t)
	lim := w.mustRead(t, "/proc/self/limits")
	lines := strings.Split(lim, "\n")
	for i, want := range map[int]string{
		0:  "Limit                     Soft Limit           Hard Limit           Units     ",
		1:  "Max cpu time              unlimited            unlimited            seconds   ",
		8:  "Max open files            1024                 4096                 files     ",
		14: "Max nice priority         0                    0                    ",
	} {
		if lines[i] != want {
			t.Errorf("limits line %d = %q, want %q", i, lines[i], want)
		}
	}
	if len(lines) != 18 {
		t.Errorf("limits has %d lines", len(lines))
	}
	if got := w.mustRead(t, "/proc/self/auxv"); len(got) != 32 || got[0] != 6 {
		t.Errorf("auxv = %q", got)
	}
	fi := w.mustRead(t, "/proc/self/fdinfo/1")
	if !strings.HasPrefix(fi, "pos:\t0\nflags:\t01\nmnt_id:\t0\nino:\t5\n") {
		t.Errorf("fdinfo/1 = %q", fi)
	}
	fi = w.mustRead(t, "/proc/self/fdinfo/0")
	if !strings.HasPrefix(fi, "pos:\t0\nflags:\t0100002\nmnt_id:\t2\n") {
		t.Errorf("fdinfo/0 = %q", fi)
	}
	if got := strings.Join(w.list(t, "/proc/self/fdinfo"), " "); got != ". .. 0 1" {
		t.Errorf("ls fdinfo = %q", got)
	}
	if _, err := w.read(t, "/proc/self/fdinfo/5"); err != unix.ENOENT {
		t.Errorf("fdinfo of a closed fd: %v", err)
	}
	RegisterType(w.v, w.k)
	fss := w.mustRead(t, "/proc/filesystems")
	if !strings.Contains(fss, "nodev\tproc\n") {
		t.Errorf("filesystems:\n%s", fss)
	}
}

func TestRandomUUID(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := RandomUUID(), RandomUUID()
	if !shape.MatchString(a) || !shape.MatchString(b) {
		t.Errorf("RandomUUID: %q, %q, want version 4 UUIDs", a, b)
	}
	if a == b {
		t.Errorf("two RandomUUIDs are both %q", a)
	}
}
