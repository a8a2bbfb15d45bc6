package ext4

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestCreateAfterNegativeLookup: a create right after a Lookup that did
// not find the name skips looking it up again; every other order must
// still find an existing name (EEXIST).
func TestCreateAfterNegativeLookup(t *testing.T) {
	img := mkImage(t)
	e, f := openRW(t, img)
	defer f.Close()
	root := uint32(RootIno)
	absent := func(name string) {
		t.Helper()
		if _, err := e.Lookup(root, name); err != unix.ENOENT {
			t.Fatalf("Lookup(%q) = %v, want ENOENT", name, err)
		}
	}
	created := func(name string) uint32 {
		t.Helper()
		ino, err := e.Create(root, name, 0o644, 0, 0)
		if err != nil {
			t.Fatalf("Create(%q): %v", name, err)
		}
		return ino
	}
	exists := func(name string) {
		t.Helper()
		if _, err := e.Create(root, name, 0o644, 0, 0); err != unix.EEXIST {
			t.Fatalf("Create(%q) of an existing name = %v, want EEXIST", name, err)
		}
	}
	absent("a")
	ino := created("a")
	if got, err := e.Lookup(root, "a"); err != nil || got != ino {
		t.Fatalf("Lookup(a) = %d, %v; want %d", got, err, ino)
	}
	exists("a") // the memo was used up
	// Another operation between the lookup and the create: the name
	// may exist by then.
	absent("b")
	created("b")
	exists("b")
	absent("c")
	if _, err := e.Mkdir(root, "c", 0o755, 0, 0); err != nil {
		t.Fatal(err)
	}
	exists("c")
	// A rename adds the name without a create.
	absent("r")
	if err := e.Rename(root, "a", root, "r"); err != nil {
		t.Fatal(err)
	}
	exists("r")
	// A lookup of another name, or in another directory.
	absent("d")
	exists("b")
	absent("e")
	if _, err := e.Create(uint32(ino), "e", 0o644, 0, 0); err != unix.ENOTDIR {
		t.Fatalf("Create in a regular file = %v, want ENOTDIR", err)
	}
	created("e")
	exists("e")
	// Names that already exist, looked up first (no memo).
	if _, err := e.Lookup(root, "e"); err != nil {
		t.Fatal(err)
	}
	exists("e")
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}
