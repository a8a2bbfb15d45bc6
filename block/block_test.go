package block

import (
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// memBacking is an image in memory.
type memBacking struct {
	b      []byte
	synced int
}

func (m *memBacking) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memBacking) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > int64(len(m.b)) {
		return 0, errors.New("past the image")
	}
	return copy(m.b[off:], p), nil
}

func (m *memBacking) Sync() error { m.synced++; return nil }

func disk(data []byte) *Device {
	return &Device{Size: int64(len(data)), backing: &memBacking{b: data}}
}

// mbrDisk is a 4 MiB disk with partitions 1 (1 MiB at 1 MiB) and 3
// (at 2 MiB, its table size running past the end).
func mbrDisk() []byte {
	d := make([]byte, 4<<20)
	put := func(i int, typ byte, start, n uint32) {
		e := d[446+16*i:]
		e[4] = typ
		binary.LittleEndian.PutUint32(e[8:], start)
		binary.LittleEndian.PutUint32(e[12:], n)
	}
	put(0, 0x83, 2048, 2048)
	put(2, 0x0c, 4096, 100000) // runs past the end: clipped
	d[510], d[511] = 0x55, 0xAA
	return d
}

func TestScanMBR(t *testing.T) {
	d := mbrDisk()
	got, err := ScanPartitions(disk(d))
	if err != nil {
		t.Fatal(err)
	}
	want := []Partition{{1, 1 << 20, 1 << 20}, {3, 2 << 20, 2 << 20}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// A FAT boot sector (jump instruction where the boot flag would be
	// read) is no partition table.
	d[446] = 0xEB
	if got, _ := ScanPartitions(disk(d)); len(got) != 0 {
		t.Errorf("boot sector read as a table: %v", got)
	}
	if got, err := ScanPartitions(disk(make([]byte, 100))); got != nil || err != nil {
		t.Errorf("a disk shorter than a sector: %v, %v", got, err)
	}
}

func TestScanGPT(t *testing.T) {
	d := make([]byte, 8<<20)
	d[446+4] = 0xEE
	binary.LittleEndian.PutUint32(d[446+8:], 1)
	binary.LittleEndian.PutUint32(d[446+12:], 0xffffffff)
	d[510], d[511] = 0x55, 0xAA
	hdr := d[512:]
	copy(hdr, "EFI PART")
	binary.LittleEndian.PutUint64(hdr[72:], 2)
	binary.LittleEndian.PutUint32(hdr[80:], 128)
	binary.LittleEndian.PutUint32(hdr[84:], 128)
	ent := func(i int, first, last uint64) {
		e := d[1024+128*i:]
		e[0] = 0xAF // any non-zero type GUID
		binary.LittleEndian.PutUint64(e[32:], first)
		binary.LittleEndian.PutUint64(e[40:], last)
	}
	ent(0, 2048, 4095)
	ent(4, 8192, 12287)
	got, err := ScanPartitions(disk(d))
	if err != nil {
		t.Fatal(err)
	}
	want := []Partition{{1, 1 << 20, 1 << 20}, {5, 4 << 20, 2 << 20}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	copy(hdr, "NOT GPT!")
	if _, err := ScanPartitions(disk(d)); err == nil {
		t.Error("protective MBR without a GPT header accepted")
	}
}

func TestAttach(t *testing.T) {
	a, b := &memBacking{b: mbrDisk()}, &memBacking{b: make([]byte, 1<<20)}
	d, err := Attach([]Image{{Name: "a", Backing: a, Size: 4 << 20, Writable: true}, {Name: "b", Backing: b, Size: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, dev := range d.Devices() {
		names = append(names, dev.Name)
	}
	if want := []string{"vda", "vda1", "vda3", "vdb"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("devices %v, want %v", names, want)
	}
	p3, ok := d.Lookup(unix.Mkdev(Major, 3))
	if !ok || p3.Name != "vda3" || p3.Size != 2<<20 {
		t.Fatalf("minor 3 = %+v, %v", p3, ok)
	}
	if _, ok := d.Lookup(unix.Mkdev(Major, 2)); ok {
		t.Error("minor 2 (no partition 2) found")
	}
	vdb, _ := d.Lookup(unix.Mkdev(Major, PartsPerDisk))
	if vdb == nil || vdb.Name != "vdb" || vdb.Writable {
		t.Fatalf("minor 16 = %+v", vdb)
	}
	// A partition reads and writes its range of the image.
	if n, err := p3.WriteAt([]byte("hi"), 10); n != 2 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	if string(a.b[2<<20+10:2<<20+12]) != "hi" {
		t.Error("partition write landed elsewhere")
	}
	if n, err := p3.WriteAt([]byte("xyz"), p3.Size-1); n != 1 || err != unix.ENOSPC {
		t.Errorf("write across the end = %d, %v, want 1, ENOSPC", n, err)
	}
	buf := make([]byte, 4)
	if n, err := p3.ReadAt(buf, p3.Size-2); n != 2 || err != io.EOF {
		t.Errorf("read across the end = %d, %v, want 2, EOF", n, err)
	}
	if _, err := vdb.WriteAt([]byte("x"), 0); err != unix.EROFS {
		t.Errorf("write to a read-only disk = %v, want EROFS", err)
	}
	many := make([]Image, MaxDisks+1)
	if _, err := Attach(many); err == nil {
		t.Error("27 disks attached")
	}
}

// userMem is application memory for ioctl arguments.
type userMem struct{ b []byte }

func (m *userMem) CopyIn(addr uintptr, dst []byte) (int, error) {
	return copy(dst, m.b[addr:]), nil
}

func (m *userMem) CopyOut(addr uintptr, src []byte) (int, error) {
	return copy(m.b[addr:], src), nil
}

func TestDeviceFiles(t *testing.T) {
	img := &memBacking{b: mbrDisk()}
	d, err := Attach([]Image{{Name: "a", Backing: img, Size: 4 << 20, Writable: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := vfs.KernelContext{Creds: auth.New(0, 0, nil)}
	v := vfs.New()
	ns, err := v.NewMountNamespace(ctx, tmpfs.New(v, tmpfs.Options{Mode: 0o755}), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	if err := v.MkdirAt(ctx, fsc, fsc.Root(), "/dev", 0o755); err != nil {
		t.Fatal(err)
	}
	d.Register(v)
	if err := d.MakeNodes(ctx, v, fsc); err != nil {
		t.Fatal(err)
	}
	st, err := v.StatAt(ctx, fsc, fsc.Root(), "/dev/vda1", false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != unix.S_IFBLK|0o660 || st.GID != DiskGID || st.Rdev != unix.Mkdev(Major, 1) {
		t.Errorf("/dev/vda1: mode %o gid %d rdev %x", st.Mode, st.GID, st.Rdev)
	}
	f, err := v.OpenAt(ctx, fsc, fsc.Root(), "/dev/vda1", unix.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	mem := &userMem{b: make([]byte, 16)}
	if _, err := f.Ioctl(ctx, mem, blkGetSize64, 0); err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint64(mem.b); got != 1<<20 {
		t.Errorf("BLKGETSIZE64 = %d, want %d", got, 1<<20)
	}
	if _, err := f.Ioctl(ctx, mem, blkRRPart, 0); err != unix.EBUSY {
		t.Errorf("BLKRRPART = %v, want EBUSY", err)
	}
	if _, err := f.Ioctl(ctx, mem, 0x5401, 0); err != unix.ENOTTY {
		t.Errorf("TCGETS = %v, want ENOTTY", err)
	}
	if err := f.Sync(ctx, false); err != nil || img.synced != 1 {
		t.Errorf("fsync = %v, %d syncs", err, img.synced)
	}
	if err := v.MknodAt(ctx, fsc, fsc.Root(), "/dev/vda2", unix.S_IFBLK|0o660, unix.Mkdev(Major, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.OpenAt(ctx, fsc, fsc.Root(), "/dev/vda2", unix.O_RDONLY, 0); err != unix.ENXIO {
		t.Errorf("open of a minor without a device = %v, want ENXIO", err)
	}
}
