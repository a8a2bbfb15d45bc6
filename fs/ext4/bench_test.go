package ext4

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCreateWrite creates files of 4 KiB in one directory.
func BenchmarkCreateWrite(b *testing.B) {
	img := filepath.Join(b.TempDir(), "img")
	run(b, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-N", "200000", img, "1G")
	f, err := openFileRW(img)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	e, err := OpenRW(f, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 4096)
	d, _ := e.Mkdir(RootIno, "d", 0o755, 0, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ino, err := e.Create(d, fmt.Sprintf("file-%07d", i), 0o644, 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.WriteAt(ino, data, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func openFileRW(p string) (*os.File, error) { return os.OpenFile(p, os.O_RDWR, 0) }

// BenchmarkLookupStat looks files up in a large htree directory.
func BenchmarkLookupStat(b *testing.B) {
	src := filepath.Join(b.TempDir(), "src")
	for i := 0; i < 2000; i++ {
		writeFile(b, filepath.Join(src, "d", fmt.Sprintf("file-%05d", i)), []byte("x"))
	}
	img := filepath.Join(b.TempDir(), "img")
	run(b, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-d", src, img, "64M")
	f, err := os.Open(img)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	e, err := Open(f, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ino, err := e.Walk(fmt.Sprintf("/d/file-%05d", i%2000), true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Stat(ino); err != nil {
			b.Fatal(err)
		}
	}
}
