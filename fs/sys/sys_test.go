package sys

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

type testCtx = vfs.KernelContext

func TestTree(t *testing.T) {
	ctx := testCtx{}
	v := vfs.New()
	ns, err := v.NewMountNamespace(ctx, New(time.Unix(5, 0), Options{NumCPU: 2}), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	for _, d := range []string{"/devices", "/kernel", "/fs", "/class"} {
		st, err := v.StatAt(ctx, fsc, fsc.Root(), d, true)
		if err != nil || st.Type() != unix.S_IFDIR || st.Mode&0o777 != 0o755 {
			t.Errorf("stat %s = %#o, %v", d, st.Mode, err)
		}
	}
	if _, err := v.StatAt(ctx, fsc, fsc.Root(), "/devices/system/memory", true); err != unix.ENOENT {
		t.Errorf("stat memory = %v, want ENOENT", err)
	}
	f, err := v.OpenAt(ctx, fsc, fsc.Root(), "/", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	var names []string
	f.Getdents(ctx, func(d vfs.Dirent) bool { names = append(names, d.Name); return true })
	if got := strings.Join(names, " "); got != ". .. block bus class dev devices firmware fs kernel module power" {
		t.Errorf("ls /sys = %q", got)
	}
	if _, err := v.OpenAt(ctx, fsc, fsc.Root(), "/kernel/x", unix.O_CREAT|unix.O_WRONLY, 0o644); err != unix.EPERM {
		t.Errorf("create = %v, want EPERM", err)
	}
	s, err := v.Statfs(ctx, fsc.Root())
	if err != nil || s.Type != unix.SYSFS_MAGIC {
		t.Errorf("statfs %+v %v", s, err)
	}
}

func TestRegisterType(t *testing.T) {
	ctx := testCtx{}
	v := vfs.New()
	RegisterType(v, Options{NumCPU: 2})
	ns, err := v.NewMountNamespace(ctx, New(time.Unix(5, 0), Options{NumCPU: 2}), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	var devs []uint64
	for _, at := range []string{"/kernel", "/fs"} {
		p, err := v.GetPath(ctx, fsc, fsc.Root(), at, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.NewMount(ctx, "sysfs", "sysfs", p, 0, ""); err != nil {
			t.Fatal(err)
		}
		st, err := v.StatAt(ctx, fsc, fsc.Root(), at+"/devices", true)
		if err != nil {
			t.Fatal(err)
		}
		devs = append(devs, st.Dev)
	}
	if devs[0] != devs[1] {
		t.Error("two sysfs mounts have different devices")
	}
	p, _ := v.GetPath(ctx, fsc, fsc.Root(), "/power", true)
	if err := v.NewMount(ctx, "sysfs", "sysfs", p, 0, "bogus"); err != unix.EINVAL {
		t.Errorf("mount with options = %v", err)
	}
}

func TestCPUMask(t *testing.T) {
	for _, c := range []struct {
		n, lo, hi int
		want      string
	}{
		{1, 0, 1, "1"},
		{2, 0, 2, "3"},
		{2, 1, 2, "2"},
		{12, 0, 12, "fff"},
		{12, 0, 1, "001"},
		{32, 0, 32, "ffffffff"},
		{40, 0, 40, "ff,ffffffff"},
		{40, 33, 34, "02,00000000"},
		{64, 0, 1, "00000000,00000001"},
	} {
		if got := cpuMask(c.n, c.lo, c.hi); got != c.want {
			t.Errorf("cpuMask(%d, %d, %d) = %q, want %q", c.n, c.lo, c.hi, got, c.want)
		}
	}
}

func TestCPUFiles(t *testing.T) {
	ctx := testCtx{}
	v := vfs.New()
	ns, err := v.NewMountNamespace(ctx, New(time.Unix(5, 0), Options{NumCPU: 4}), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	read := func(p string) string {
		f, err := v.OpenAt(ctx, fsc, fsc.Root(), p, unix.O_RDONLY, 0)
		if err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		defer f.DecRef(ctx)
		b := make([]byte, 100)
		n, err := f.Read(ctx, b)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		return string(b[:n])
	}
	for p, want := range map[string]string{
		"/devices/system/cpu/online":                          "0-3\n",
		"/devices/system/cpu/possible":                        "0-3\n",
		"/devices/system/cpu/offline":                         "\n",
		"/devices/system/cpu/kernel_max":                      "63\n",
		"/devices/system/cpu/cpu2/topology/core_id":           "2\n",
		"/devices/system/cpu/cpu2/topology/thread_siblings":   "4\n",
		"/devices/system/cpu/cpu3/topology/core_siblings":     "f\n",
		"/devices/system/cpu/cpu3/topology/package_cpus_list": "0-3\n",
	} {
		if got := read(p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if _, err := v.StatAt(ctx, fsc, fsc.Root(), "/devices/system/cpu/cpu4", true); err != unix.ENOENT {
		t.Errorf("stat cpu4 = %v, want ENOENT", err)
	}
	if _, err := v.OpenAt(ctx, fsc, fsc.Root(), "/devices/system/cpu/online", unix.O_WRONLY, 0); err != unix.EACCES {
		t.Errorf("open online for writing = %v, want EACCES", err)
	}
	st, err := v.StatAt(ctx, fsc, fsc.Root(), "/devices/system/cpu/online", true)
	if err != nil || st.Mode != unix.S_IFREG|0o444 || st.Size != 4096 {
		t.Errorf("stat online = %#o size %d, %v", st.Mode, st.Size, err)
	}
}

func TestNetClass(t *testing.T) {
	ctx := testCtx{}
	links := []NetLink{{Index: 1, Name: "lo", Type: 772, Flags: unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING | unix.IFF_LOWER_UP,
		MTU: 65536, TxQLen: 1000, HWAddr: make([]byte, 6), Broadcast: make([]byte, 6), Stats: []uint64{7, 8, 9, 10}}}
	v := vfs.New()
	ns, err := v.NewMountNamespace(ctx, New(time.Unix(5, 0), Options{NumCPU: 1, NetLinks: func(vfs.Context) []NetLink { return links }}), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	read := func(p string) (string, error) {
		f, err := v.OpenAt(ctx, fsc, fsc.Root(), p, unix.O_RDONLY, 0)
		if err != nil {
			return "", err
		}
		defer f.DecRef(ctx)
		b := make([]byte, 100)
		n, err := f.Read(ctx, b)
		return string(b[:n]), err
	}
	for p, want := range map[string]string{
		"/class/net/lo/flags":                             "0x9\n",
		"/class/net/lo/operstate":                         "unknown\n",
		"/class/net/lo/address":                           "00:00:00:00:00:00\n",
		"/class/net/lo/mtu":                               "65536\n",
		"/class/net/lo/carrier":                           "1\n",
		"/class/net/lo/ifalias":                           "",
		"/devices/virtual/net/lo/statistics/rx_bytes":     "9\n",
		"/devices/virtual/net/lo/statistics/tx_packets":   "8\n",
		"/devices/virtual/net/lo/statistics/rx_nohandler": "0\n",
	} {
		if got, err := read(p); got != want || err != nil {
			t.Errorf("%s = %q, %v; want %q", p, got, err, want)
		}
	}
	// lo goes down: the attributes show it at the next open, and those
	// of a running device fail.
	links[0].Flags = unix.IFF_LOOPBACK
	if got, _ := read("/class/net/lo/operstate"); got != "down\n" {
		t.Errorf("operstate of lo down = %q", got)
	}
	if _, err := read("/class/net/lo/carrier"); err != unix.EINVAL {
		t.Errorf("carrier of lo down: %v, want EINVAL", err)
	}
	// The namespace's interfaces change: lo is gone, eth0 came.
	links[0].Name = "eth0"
	if _, err := v.StatAt(ctx, fsc, fsc.Root(), "/class/net/lo", false); err != unix.ENOENT {
		t.Errorf("stat lo once gone: %v", err)
	}
	if got, err := read("/class/net/eth0/ifindex"); got != "1\n" || err != nil {
		t.Errorf("eth0's ifindex = %q, %v", got, err)
	}
	if _, err := v.OpenAt(ctx, fsc, fsc.Root(), "/class/net/eth0/ifindex", unix.O_WRONLY, 0); err != unix.EACCES {
		t.Errorf("open ifindex for writing = %v, want EACCES", err)
	}
	f, err := v.OpenAt(ctx, fsc, fsc.Root(), "/class/net/eth0/mtu", unix.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	if _, err := f.Write(ctx, []byte("1500\n")); err != unix.EOPNOTSUPP {
		t.Errorf("write mtu = %v, want EOPNOTSUPP", err)
	}
}
