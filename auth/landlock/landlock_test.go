package landlock

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// walk yields objs in order, as the VFS yields a file's ancestors.
func walk(objs ...any) func(func(any) bool) {
	return func(yield func(any) bool) {
		for _, o := range objs {
			if !yield(o) {
				return
			}
		}
	}
}

func TestNewRulesetEmpty(t *testing.T) {
	if _, err := NewRuleset(0, 0); err != unix.ENOMSG {
		t.Fatalf("NewRuleset(0, 0) = %v, want ENOMSG", err)
	}
}

func TestDeniedLayers(t *testing.T) {
	r1, _ := NewRuleset(AccessFSReadFile|AccessFSWriteFile, 0)
	r1.AddRule("dir", AccessFSReadFile|AccessFSWriteFile)
	d1, err := (*Domain)(nil).Merge(r1)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := NewRuleset(AccessFSWriteFile, 0)
	r2.AddRule("file", AccessFSWriteFile)
	d2, _ := d1.Merge(r2)
	cases := []struct {
		d      *Domain
		access uint64
		path   []any
		want   uint64
	}{
		{d1, AccessFSReadFile, []any{"file", "dir", "/"}, 0},
		{d1, AccessFSReadFile, []any{"other", "/"}, AccessFSReadFile},
		{d1, AccessFSExecute, []any{"other"}, 0}, // not handled
		{d2, AccessFSWriteFile, []any{"file", "dir"}, 0},
		{d2, AccessFSWriteFile, []any{"file2", "dir"}, AccessFSWriteFile},
		{d2, AccessFSWriteFile | AccessFSReadFile, []any{"file"}, AccessFSReadFile | AccessFSWriteFile},
		{d2, AccessFSWriteFile | AccessFSReadFile, []any{"file2", "dir"}, AccessFSWriteFile},
	}
	for i, c := range cases {
		if got := c.d.Denied(c.access, walk(c.path...)); got != c.want {
			t.Errorf("case %d: Denied = %#x, want %#x", i, got, c.want)
		}
	}
	if !d1.IsAncestorOf(d2) || d2.IsAncestorOf(d1) || !(*Domain)(nil).IsAncestorOf(d1) || d1.IsAncestorOf(nil) {
		t.Error("IsAncestorOf is wrong")
	}
}

func TestMergeLimit(t *testing.T) {
	r, _ := NewRuleset(AccessFSReadFile, 0)
	var d *Domain
	var err error
	for i := 0; i < MaxLayers; i++ {
		if d, err = d.Merge(r); err != nil {
			t.Fatalf("layer %d: %v", i+1, err)
		}
	}
	if _, err := d.Merge(r); err != unix.E2BIG {
		t.Fatalf("layer %d: %v, want E2BIG", MaxLayers+1, err)
	}
}

func TestMergeKeepsParent(t *testing.T) {
	r, _ := NewRuleset(AccessFSReadFile, 0)
	r.AddRule("a", AccessFSReadFile)
	d1, _ := (*Domain)(nil).Merge(r)
	d2, _ := d1.Merge(r)
	if len(d1.rules["a"]) != 1 || len(d2.rules["a"]) != 2 {
		t.Fatalf("rules: %v / %v", d1.rules["a"], d2.rules["a"])
	}
	if !slices.Equal(d2.handled, []uint64{AccessFSReadFile | AccessFSRefer, AccessFSReadFile | AccessFSRefer}) {
		t.Fatalf("handled %v", d2.handled)
	}
}

func TestReferDenied(t *testing.T) {
	all := uint64(MaskAccessFS)
	r, _ := NewRuleset(all, 0)
	r.AddRule("a", all)
	r.AddRule("b", all)
	r.AddRule("c", all&^AccessFSRefer)
	r.AddRule("d", AccessFSReadFile|AccessFSMakeReg|AccessFSRemoveFile|AccessFSRefer)
	d, _ := (*Domain)(nil).Merge(r)
	file := &Child{Obj: "f"}
	cases := []struct {
		src, dst string
		want     error
	}{
		{"a", "b", nil},
		{"a", "c", unix.EXDEV},
		{"d", "a", unix.EXDEV}, // the file would gain rights
		{"a", "d", nil},
		{"a", "n", unix.EACCES},
	}
	for _, c := range cases {
		got := d.ReferDenied(AccessFSRemoveFile, AccessFSMakeReg, walk(c.src, "root"), walk(c.dst, "root"), walk("root"), file, nil)
		if got != c.want {
			t.Errorf("%s -> %s: %v, want %v", c.src, c.dst, got, c.want)
		}
	}
}

func TestNetDenied(t *testing.T) {
	r1, _ := NewRuleset(0, AccessNetBindTCP|AccessNetConnectTCP)
	r1.AddNetRule(80, AccessNetConnectTCP)
	d1, _ := (*Domain)(nil).Merge(r1)
	if d1.FS() != nil {
		t.Error("a network-only domain restricts files")
	}
	if d1.NetDenied(AccessNetConnectTCP, 80) || !d1.NetDenied(AccessNetConnectTCP, 81) || !d1.NetDenied(AccessNetBindTCP, 80) {
		t.Error("first layer decides wrongly")
	}
	r2, _ := NewRuleset(AccessFSReadFile, AccessNetConnectTCP)
	r2.AddNetRule(81, AccessNetConnectTCP)
	d2, _ := d1.Merge(r2)
	if d2.FS() == nil || !d2.NetDenied(AccessNetConnectTCP, 80) || !d2.NetDenied(AccessNetConnectTCP, 81) {
		t.Error("second layer decides wrongly")
	}
}
