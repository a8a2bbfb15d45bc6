package image

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kite-os/kite/fs/ext4"
)

// TestWriteBuiltImage changes an image from the builder with fs/ext4's
// write path and with debugfs, and checks that each side reads the
// other's files and that e2fsck stays clean.
func TestWriteBuiltImage(t *testing.T) {
	tool(t, "debugfs")
	tree := NewTree()
	for i := 0; i < 400; i++ {
		tree.AddBytes(fmt.Sprintf("big/file-%04d", i), []byte(fmt.Sprint(i)), 0o644, 0, 0, unixTime(1))
	}
	tree.AddBytes("etc/motd", []byte("welcome\n"), 0o644, 0, 0, unixTime(1))
	img := filepath.Join(t.TempDir(), "img")
	if err := BuildFile(tree, img, Options{FreeSpace: 8 << 20, Inodes: 4096}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ext4.OpenRW(f, ext4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	big, _ := e.Walk("/big", false)
	for i := 0; i < 600; i++ {
		if _, err := e.Create(big, fmt.Sprintf("kite-%04d", i), 0o644, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 400; i += 2 {
		if err := e.Unlink(big, fmt.Sprintf("file-%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	etc, _ := e.Walk("/etc", false)
	ino, err := e.Create(etc, "from-kite", 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("kite wrote this\n"), 5000)
	if _, err := e.WriteAt(ino, payload, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.Rename(etc, "motd", RootDir(), "motd"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fsck(t, img)

	// Linux's tools read kite's file...
	out := filepath.Join(t.TempDir(), "out")
	exec.Command(tool(t, "debugfs"), "-R", "dump /etc/from-kite "+out, img).Run()
	if got, _ := os.ReadFile(out); !bytes.Equal(got, payload) {
		t.Errorf("debugfs reads %d bytes of kite's file, want %d", len(got), len(payload))
	}
	// ...and kite reads a file debugfs wrote.
	in := filepath.Join(t.TempDir(), "in")
	linuxData := bytes.Repeat([]byte("written by debugfs\n"), 3000)
	os.WriteFile(in, linuxData, 0o644)
	if o, err := exec.Command(tool(t, "debugfs"), "-w", "-R", "write "+in+" /etc/from-debugfs", img).CombinedOutput(); err != nil {
		t.Fatalf("debugfs write: %v\n%s", err, o)
	}
	fsck(t, img)
	r := openImage(t, img)
	fi, err := r.Walk("/etc/from-debugfs", false)
	if err != nil {
		t.Fatal(err)
	}
	rf, _ := r.OpenFile(fi)
	if got, _ := rf.ReadAll(); !bytes.Equal(got, linuxData) {
		t.Errorf("kite reads %d bytes of debugfs's file", len(got))
	}
	if _, err := r.Walk("/big/kite-0599", false); err != nil {
		t.Error(err)
	}
}

// RootDir is the root inode number, for readability in tests.
func RootDir() uint32 { return ext4.RootIno }
