package sys

import (
	"fmt"
	stdnet "net"
	"sort"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// NetLink is a network interface as /sys/class/net shows it.
type NetLink struct {
	Index int32
	Name  string
	Type  uint16 // ARPHRD_*
	// Flags are the IFF_* flags RTM_GETLINK gives (with IFF_RUNNING,
	// IFF_LOWER_UP...).
	Flags             uint32
	MTU, TxQLen       uint32
	HWAddr, Broadcast []byte
	// Stats are the counters in struct rtnl_link_stats64's order; nil
	// or short when unknown (read as 0).
	Stats []uint64
}

// NetLinks returns the interfaces of the caller's network namespace, in
// index order.
type NetLinks func(ctx vfs.Context) []NetLink

// statNames are the files of statistics/ in struct rtnl_link_stats64's
// order.
var statNames = []string{
	"rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
	"rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors",
	"rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
	"rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors",
	"tx_fifo_errors", "tx_heartbeat_errors", "tx_window_errors",
	"rx_compressed", "tx_compressed", "rx_nohandler",
}

// netAttr is one attribute of a device's directory: show formats it
// from the link (an errno for a value the device does not have now),
// without the newline that ends it; writable says whether Linux shows
// it 0644.
type netAttr struct {
	show     func(l *NetLink) (string, error)
	writable bool
}

// emptyAttr is an attribute whose value is unset: it reads nothing, not
// even a newline (ifalias).
var emptyAttr = netAttr{show: func(*NetLink) (string, error) { return "", errEmpty }, writable: true}

// errEmpty is show's answer for an attribute that reads as empty.
var errEmpty = fmt.Errorf("empty attribute")

// running is netif_running: the attributes that need it fail with
// EINVAL on a device that is down.
func running(l *NetLink) bool { return l.Flags&unix.IFF_UP != 0 }

// hwAddr is an address as sysfs shows it: lower-case hex bytes joined
// by colons ("" for none), as the standard library formats a MAC.
func hwAddr(b []byte) string { return stdnet.HardwareAddr(b).String() }

// operStates are the names of IF_OPER_*, as operstate shows them.
var operStates = []string{"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"}

// operState is the RFC 2863 state kite's links are in: down when not
// up, unknown for loopback (which does not track it, as Linux's lo),
// up when the carrier is on.
func operState(l *NetLink) int {
	switch {
	case !running(l):
		return 2
	case l.Flags&unix.IFF_LOOPBACK != 0:
		return 0
	case l.Flags&unix.IFF_LOWER_UP == 0:
		return 2
	}
	return 6
}

func constAttr(v string, writable bool) netAttr {
	return netAttr{show: func(*NetLink) (string, error) { return v, nil }, writable: writable}
}

// runningAttr is v for a device that is up, EINVAL otherwise.
func runningAttr(v func(l *NetLink) string, writable bool) netAttr {
	return netAttr{show: func(l *NetLink) (string, error) {
		if !running(l) {
			return "", unix.EINVAL
		}
		return v(l), nil
	}, writable: writable}
}

// netAttrs are a device directory's attributes (net-sysfs's formats).
var netAttrs = map[string]netAttr{
	"addr_assign_type":   constAttr("0", false), // NET_ADDR_PERM
	"addr_len":           {show: func(l *NetLink) (string, error) { return fmt.Sprint(len(l.HWAddr)), nil }},
	"address":            {show: func(l *NetLink) (string, error) { return hwAddr(l.HWAddr), nil }},
	"broadcast":          {show: func(l *NetLink) (string, error) { return hwAddr(l.Broadcast), nil }},
	"carrier":            runningAttr(func(l *NetLink) string { return b2s(l.Flags&unix.IFF_LOWER_UP != 0) }, true),
	"carrier_changes":    constAttr("0", false),
	"carrier_down_count": constAttr("0", false),
	"carrier_up_count":   constAttr("0", false),
	"dev_id":             constAttr("0x0", false),
	"dev_port":           constAttr("0", false),
	"dormant":            runningAttr(func(*NetLink) string { return "0" }, false),
	// kite's devices have no link settings (ethtool's), as lo.
	"duplex": {show: func(*NetLink) (string, error) { return "", unix.EINVAL }},
	"speed":  {show: func(*NetLink) (string, error) { return "", unix.EINVAL }},
	// flags are the device's own (dev->flags), without those
	// dev_get_flags computes from its state.
	"flags": {show: func(l *NetLink) (string, error) {
		return fmt.Sprintf("%#x", l.Flags&^(unix.IFF_RUNNING|unix.IFF_LOWER_UP|unix.IFF_DORMANT)), nil
	}, writable: true},
	"gro_flush_timeout":    constAttr("0", true),
	"ifalias":              emptyAttr,
	"ifindex":              {show: func(l *NetLink) (string, error) { return fmt.Sprint(l.Index), nil }},
	"iflink":               {show: func(l *NetLink) (string, error) { return fmt.Sprint(l.Index), nil }},
	"link_mode":            constAttr("0", false),
	"mtu":                  {show: func(l *NetLink) (string, error) { return fmt.Sprint(l.MTU), nil }, writable: true},
	"napi_defer_hard_irqs": constAttr("0", true),
	// lo's name is NET_NAME_PREDICTABLE, the others' NET_NAME_ENUM
	// (eth%d).
	"name_assign_type": {show: func(l *NetLink) (string, error) {
		if l.Flags&unix.IFF_LOOPBACK != 0 {
			return "2", nil
		}
		return "1", nil
	}},
	"netdev_group": constAttr("0", true),
	"operstate":    {show: func(l *NetLink) (string, error) { return operStates[operState(l)], nil }},
	"proto_down":   constAttr("0", true),
	"testing":      runningAttr(func(*NetLink) string { return "0" }, false),
	"threaded":     constAttr("0", true),
	"tx_queue_len": {show: func(l *NetLink) (string, error) { return fmt.Sprint(l.TxQLen), nil }, writable: true},
	"type":         {show: func(l *NetLink) (string, error) { return fmt.Sprint(l.Type), nil }},
	"uevent": {show: func(l *NetLink) (string, error) {
		return fmt.Sprintf("INTERFACE=%s\nIFINDEX=%d", l.Name, l.Index), nil
	}, writable: true},
}

func b2s(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// netTree makes /sys/class/net and /sys/devices/virtual/net: the
// interfaces of the reader's network namespace, asked for at each
// lookup, listing and open. /sys/class/net/NAME is a link to
// ../../devices/virtual/net/NAME, the device's directory of attributes
// (Linux shows kite's devices as virtual ones: they have no bus).
// The inodes of a name are made once and shared by every namespace
// that has an interface of that name; what they show is the reader's.
type netTree struct {
	links NetLinks
	b     *builder

	mu    sync.Mutex // guards b and the maps
	devs  map[string]*dirInode
	class map[string]*linkInode
}

func newNetTree(b *builder, links NetLinks) *netTree {
	return &netTree{links: links, b: b, devs: map[string]*dirInode{}, class: map[string]*linkInode{}}
}

// link returns the reader's interface name.
func (n *netTree) link(ctx vfs.Context, name string) (NetLink, bool) {
	if n.links == nil {
		return NetLink{}, false
	}
	for _, l := range n.links(ctx) {
		if l.Name == name {
			return l, true
		}
	}
	return NetLink{}, false
}

// names are the reader's interfaces' names, sorted.
func (n *netTree) names(ctx vfs.Context) []string {
	if n.links == nil {
		return nil
	}
	var names []string
	for _, l := range n.links(ctx) {
		names = append(names, l.Name)
	}
	sort.Strings(names)
	return names
}

// classLink is /sys/class/net/NAME.
func (n *netTree) classLink(name string) node {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.class[name]
	if l == nil {
		l = n.b.link("../../devices/virtual/net/" + name)
		n.class[name] = l
	}
	return l
}

// device is /sys/devices/virtual/net/NAME.
func (n *netTree) device(name string) node {
	n.mu.Lock()
	defer n.mu.Unlock()
	d := n.devs[name]
	if d != nil {
		return d
	}
	b := n.b
	d = b.dir()
	for attr, a := range netAttrs {
		mode := uint32(0o444)
		if a.writable {
			mode = 0o644
		}
		b.ino++
		d.add(attr, &netAttrInode{ino: b.ino, time: b.ts, mode: mode, tree: n, dev: name, show: a.show})
	}
	stats := b.dir()
	for i, s := range statNames {
		b.ino++
		stats.add(s, &netAttrInode{ino: b.ino, time: b.ts, mode: 0o444, tree: n, dev: name, show: func(l *NetLink) (string, error) {
			if i < len(l.Stats) {
				return fmt.Sprint(l.Stats[i]), nil
			}
			return "0", nil
		}})
	}
	d.add("statistics", stats)
	d.add("subsystem", b.link("../../../../class/net"))
	n.devs[name] = d
	return d
}

// netDir is a directory of the reader's interfaces: /sys/class/net
// (entry makes the links) or /sys/devices/virtual/net (the devices).
type netDir struct {
	vfs.InodeDefaults
	ino   uint64
	time  unix.Timespec
	tree  *netTree
	entry func(name string) node
	typ   uint8 // the entries' DT_*
}

func (d *netDir) dirent() (uint64, uint8) { return d.ino, unix.DT_DIR }

// Stat implements vfs.Inode.
func (d *netDir) Stat(ctx vfs.Context) (vfs.Stat, error) {
	nlink := uint64(2)
	if d.typ == unix.DT_DIR {
		nlink += uint64(len(d.tree.names(ctx)))
	}
	return vfs.Stat{
		Ino: d.ino, Mode: unix.S_IFDIR | 0o755, Nlink: nlink,
		Blksize: 4096, Atime: d.time, Mtime: d.time, Ctime: d.time,
	}, nil
}

// Lookup implements vfs.Inode.
func (d *netDir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	if _, ok := d.tree.link(ctx, name); !ok {
		return nil, unix.ENOENT
	}
	return d.entry(name), nil
}

// Revalidate implements vfs.Revalidator: a name stays while the
// reader's namespace has the interface.
func (d *netDir) Revalidate(ctx vfs.Context, name string, _ vfs.Inode) bool {
	_, ok := d.tree.link(ctx, name)
	return ok
}

// Open implements vfs.Inode.
func (d *netDir) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &netDirFile{d: d}, nil
}

// netDirFile lists a netDir: entry k of the names the reader's
// namespace had when the listing started at offset 2+k.
type netDirFile struct {
	vfs.FileDefaults
	d     *netDir
	names []string
}

// Seek implements vfs.FileOperations (as dirFile).
func (f *netDirFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, 0, off, whence)
}

// Read implements vfs.FileOperations.
func (f *netDirFile) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EISDIR
}

// IterDirents implements vfs.FileOperations.
func (f *netDirFile) IterDirents(ctx vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	if off <= 2 || f.names == nil {
		f.names = f.d.tree.names(ctx)
	}
	for k := off - 2; k >= 0 && k < int64(len(f.names)); k++ {
		name := f.names[k]
		ino, _ := f.d.entry(name).dirent()
		if !emit(vfs.Dirent{Name: name, Ino: ino, Type: f.d.typ, NextOff: k + 3}) {
			return nil
		}
	}
	return nil
}

// netAttrInode is an attribute of a device: its text is made from the
// reader's interface of that name when opened.
type netAttrInode struct {
	vfs.InodeDefaults
	ino  uint64
	time unix.Timespec
	mode uint32
	tree *netTree
	dev  string
	show func(l *NetLink) (string, error)
}

func (a *netAttrInode) dirent() (uint64, uint8) { return a.ino, unix.DT_REG }

// Stat implements vfs.Inode.
func (a *netAttrInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{
		Ino: a.ino, Mode: unix.S_IFREG | a.mode, Nlink: 1, Size: attrSize,
		Blksize: 4096, Atime: a.time, Mtime: a.time, Ctime: a.time,
	}, nil
}

// Open implements vfs.Inode: the reader's namespace must still have the
// device (ENODEV, as a removed device's attribute). A read-only
// attribute cannot be opened for writing (EACCES); the others can, by
// whom the mode lets, but kite changes no device through sysfs.
func (a *netAttrInode) Open(ctx vfs.Context, flags int) (vfs.FileOperations, error) {
	if flags&unix.O_ACCMODE != unix.O_RDONLY && a.mode&0o200 == 0 {
		return nil, unix.EACCES
	}
	l, ok := a.tree.link(ctx, a.dev)
	if !ok {
		return nil, unix.ENODEV
	}
	text, err := a.show(&l)
	switch err {
	case nil:
		text += "\n"
	case errEmpty:
		err = nil
	}
	return &netAttrFile{text: text, err: err}, nil
}

// netAttrFile reads an attribute's text as it was at open, or its error.
type netAttrFile struct {
	vfs.FileDefaults
	text string
	err  error
}

// Read implements vfs.FileOperations.
func (f *netAttrFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if off >= int64(len(f.text)) {
		return 0, nil
	}
	return copy(dst, f.text[off:]), nil
}

// Write implements vfs.FileOperations: kite's devices are changed
// through netlink (ip link set), not through sysfs.
func (f *netAttrFile) Write(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EOPNOTSUPP
}

// Seek implements vfs.FileOperations (as attrFile).
func (*netAttrFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, attrSize, off, whence)
}
