package fat

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"
)

var (
	fuzzOnce sync.Once
	fuzzBase []byte
	fuzzErr  error
)

type memImage []byte

func (m memImage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m memImage) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m)) {
		return 0, errors.New("write past the end")
	}
	return copy(m[off:], p), nil
}

// fuzzImage is a small FAT12 image with a few directories and long names.
func fuzzImage(t testing.TB) []byte {
	fuzzOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fatfuzz")
		if err != nil {
			fuzzErr = err
			return
		}
		defer os.RemoveAll(dir)
		img := dir + "/img"
		run(t, "mkfs.vfat", "-C", "-F", "12", "-i", "12345678", img, "512")
		data, err := os.ReadFile(img)
		if err != nil {
			fuzzErr = err
			return
		}
		fs, err := OpenRW(memImage(data), Options{Now: func() time.Time { return time.Date(2020, 1, 2, 3, 4, 6, 0, time.UTC) }})
		if err != nil {
			fuzzErr = err
			return
		}
		fs.Mkdir("/Some Directory")
		fs.Create("/Some Directory/a long file name.txt")
		fs.WriteAt("/Some Directory/a long file name.txt", bytes.Repeat([]byte("data"), 700), 0)
		fs.Create("/SHORT.TXT")
		fs.WriteAt("/SHORT.TXT", []byte("short"), 0)
		fuzzBase = data
	})
	if fuzzErr != nil {
		t.Fatal(fuzzErr)
	}
	return bytes.Clone(fuzzBase)
}

func exerciseFAT(img []byte) {
	fs, err := OpenRW(memImage(img), Options{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		return
	}
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		if depth > 4 {
			return
		}
		ents, err := fs.ReadDir(p)
		if err != nil || len(ents) > 200 {
			return
		}
		for _, e := range ents {
			cp := p + "/" + e.Name
			if e.IsDir() {
				walk(cp, depth+1)
			} else {
				buf := make([]byte, 4096)
				fs.ReadAt(cp, buf, 0)
			}
		}
	}
	walk("", 0)
	fs.Create("/NEW FILE.txt")
	fs.WriteAt("/NEW FILE.txt", []byte("x"), 5000)
	fs.Rename("/SHORT.TXT", "/Some Directory/moved.txt")
	fs.Remove("/Some Directory/a long file name.txt")
	fs.Mkdir("/Some Directory/sub")
}

// FuzzImage overwrites one 512-byte sector (chosen by the first input
// byte) of a small FAT12 image: boot sector, FAT, root directory or data.
func FuzzImage(f *testing.F) {
	base := fuzzImage(f)
	for _, s := range []byte{0, 1, 2, 3, 4, 5} {
		f.Add(append([]byte{s}, base[int(s)*512:int(s)*512+64]...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		img := fuzzImage(t)
		off := int(data[0]) * 512
		if off+512 <= len(img) {
			copy(img[off:off+512], data[1:])
		}
		exerciseFAT(img)
	})
}
