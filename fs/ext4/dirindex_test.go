package ext4

import (
	"fmt"
	"path/filepath"
	"testing"
)

// TestDirBecomesIndexed grows a new directory past one block: it must
// turn into an htree (as Linux does) that lookups use and e2fsck accepts.
func TestDirBecomesIndexed(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"csum", []string{"-t", "ext4", "-b", "1024"}},
		{"nocsum", []string{"-t", "ext4", "-b", "4096", "-O", "^metadata_csum"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			run(t, "mke2fs", append(append([]string{"-q", "-F"}, c.args...), img, "32M")...)
			e, f := openRW(t, img)
			defer f.Close()
			d := must[uint32](t)(e.Mkdir(RootIno, "d", 0o755, 0, 0))
			for i := 0; i < 2000; i++ {
				must[uint32](t)(e.Create(d, fmt.Sprintf("some-file-name-%05d", i), 0o644, 0, 0))
			}
			for i := 0; i < 2000; i += 5 {
				if err := e.Unlink(d, fmt.Sprintf("some-file-name-%05d", i)); err != nil {
					t.Fatal(err)
				}
			}
			in := must[*Inode](t)(e.Stat(d))
			if in.Flags&FlagIndex == 0 {
				t.Fatal("directory not indexed")
			}
			checkDxLookups(t, e, in)
			if n := len(must[[]DirEntry](t)(e.ReadDir(d))); n != 2+1600 {
				t.Errorf("%d entries, want %d", n, 2+1600)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
		})
	}
}
