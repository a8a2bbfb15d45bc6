package image

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFromDirXattrs: a host directory's extended attributes (on files,
// directories and large ones in a block) reach the image.
func TestFromDirXattrs(t *testing.T) {
	tool(t, "e2fsck")
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "d"), 0o755)
	f := filepath.Join(src, "d", "f")
	os.WriteFile(f, []byte("x"), 0o644)
	if err := unix.Setxattr(f, "user.color", []byte("blue"), 0); err == unix.ENOTSUP {
		t.Skip("the host file system has no user xattrs")
	} else if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1000)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	if err := unix.Setxattr(f, "user.big", big, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(filepath.Join(src, "d"), "user.dir", []byte("yes"), 0); err != nil {
		t.Fatal(err)
	}
	tree, err := FromDir(src)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "img")
	if err := BuildFile(tree, img, Options{}); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	e := openImage(t, img)
	checkXattrs(t, e, "/d/f", map[string]string{"user.color": "blue", "user.big": string(big)})
	checkXattrs(t, e, "/d", map[string]string{"user.dir": "yes"})
}
