package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The fuzz targets overwrite one structure of a small, fixed image made by
// mke2fs and then read everything reachable: every error must be a clean
// one. The first input byte, when odd, asks the target to recompute the
// structure's checksum so that the fuzzer gets past checksum checks.

var (
	fuzzImageOnce sync.Once
	fuzzImage     []byte
	fuzzImageErr  error
)

func baseFuzzImage(t testing.TB) []byte {
	t.Helper()
	needTool(t, "mke2fs")
	fuzzImageOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ext4fuzz")
		if err != nil {
			fuzzImageErr = err
			return
		}
		defer os.RemoveAll(dir)
		src := filepath.Join(dir, "src")
		for i := 0; i < 40; i++ {
			writeFile(t, filepath.Join(src, "dir", fmt.Sprintf("name-%03d", i)), []byte(fmt.Sprint(i)))
		}
		writeFile(t, filepath.Join(src, "small"), []byte("hello"))
		big := bytes.Repeat([]byte("0123456789abcdef"), 1000)
		writeFile(t, filepath.Join(src, "big"), big)
		f, _ := os.Create(filepath.Join(src, "sparse"))
		for i := 0; i < 6; i++ {
			f.WriteAt([]byte("data"), int64(i)*8192)
		}
		f.Close()
		os.Symlink("small", filepath.Join(src, "link"))
		os.Symlink(string(bytes.Repeat([]byte("l"), 80)), filepath.Join(src, "longlink"))
		img := filepath.Join(dir, "img")
		run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-N", "128",
			"-U", "0b6c5e2a-2f1c-4d3b-9a8e-1c2d3e4f5a6b",
			"-E", "hash_seed=6f1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8,root_owner=0:0",
			"-O", "^resize_inode,^has_journal", "-d", src, img, "1M")
		fuzzImage, fuzzImageErr = os.ReadFile(img)
	})
	if fuzzImageErr != nil {
		t.Fatal(fuzzImageErr)
	}
	return bytes.Clone(fuzzImage)
}

// exercise opens the image and reads everything reachable from the root.
func exercise(img []byte) {
	e, err := Open(bytes.NewReader(img), Options{})
	if err != nil {
		return
	}
	seen := map[uint32]bool{}
	var visit func(ino uint32, depth int)
	visit = func(ino uint32, depth int) {
		if seen[ino] || depth > 8 || len(seen) > 500 {
			return
		}
		seen[ino] = true
		in, err := e.Stat(ino)
		if err != nil {
			return
		}
		e.Xattrs(ino)
		switch in.Type() {
		case ModeDir:
			ents, err := e.ReadDir(ino)
			if err != nil {
				return
			}
			for _, de := range ents {
				e.Lookup(ino, de.Name)
				visit(de.Ino, depth+1)
			}
		case ModeLnk:
			e.Readlink(ino)
		case ModeReg:
			f, err := e.OpenFile(ino)
			if err != nil {
				return
			}
			buf := make([]byte, 70000)
			f.ReadAt(buf, 0)
			if f.Size() > 10 {
				f.ReadAt(buf[:10], f.Size()-10)
			}
		}
	}
	visit(RootIno, 0)
	e.Walk("/dir/name-007", true)
	e.Walk("/link", true)
}

func imageSB(img []byte) *Superblock {
	sb, _ := DecodeSuperblock(img[SuperblockOffset:])
	return sb
}

func FuzzSuperblock(f *testing.F) {
	img := baseFuzzImage(f)
	f.Add(append([]byte{1}, img[SuperblockOffset:SuperblockOffset+SuperblockSize]...))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		img := baseFuzzImage(t)
		if len(data) == 0 {
			return
		}
		copy(img[SuperblockOffset:SuperblockOffset+SuperblockSize], data[1:])
		if data[0]&1 != 0 {
			sb := imageSB(img)
			sb.SetChecksum()
			copy(img[SuperblockOffset:], sb.Encode())
		}
		exercise(img)
	})
}

func FuzzGroupDesc(f *testing.F) {
	img := baseFuzzImage(f)
	sb := imageSB(img)
	bs := sb.BlockSize()
	gdt := int(sb.FirstDataBlock+1) * bs
	f.Add(append([]byte{1}, img[gdt:gdt+2*sb.DescSizeBytes()]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		img := baseFuzzImage(t)
		if len(data) == 0 {
			return
		}
		copy(img[gdt:gdt+bs], data[1:])
		if data[0]&1 != 0 {
			ds := sb.DescSizeBytes()
			for g := 0; g < int(sb.GroupCount()); g++ {
				gd, _ := DecodeGroupDesc(img[gdt+g*ds : gdt+(g+1)*ds])
				gd.Checksum = gd.ComputeChecksum(sb, uint32(g))
				copy(img[gdt+g*ds:], gd.Encode(ds))
			}
		}
		exercise(img)
	})
}

// inodeSlot returns the byte offset of inode ino in img.
func inodeSlot(t testing.TB, img []byte, ino uint32) int {
	e, err := Open(bytes.NewReader(img), Options{})
	if err != nil {
		t.Fatal(err)
	}
	blk, off, err := e.inodeLocation(ino)
	if err != nil {
		t.Fatal(err)
	}
	return int(blk)*e.blockSize + off
}

func FuzzExtentHeader(f *testing.F) {
	img := baseFuzzImage(f)
	e, err := Open(bytes.NewReader(img), Options{})
	if err != nil {
		f.Fatal(err)
	}
	ino, err := e.Walk("/sparse", false)
	if err != nil {
		f.Fatal(err)
	}
	slot := inodeSlot(f, img, ino)
	iblock := slot + 0x28
	f.Add(append([]byte{1}, img[iblock:iblock+IBlockSize]...))
	// The index node's child: a leaf block, fuzzed through the second half.
	if h, err := DecodeExtentHeader(img[iblock : iblock+IBlockSize]); err != nil || h.Depth != 1 {
		f.Fatalf("/sparse extent root: %+v, %v; want depth 1", h, err)
	}
	x := DecodeExtentIndex(img[iblock+extentHeaderSize:])
	leaf := int(x.Leaf) * e.blockSize
	f.Add(append(append([]byte{3}, img[iblock:iblock+IBlockSize]...), img[leaf:leaf+100]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		img := baseFuzzImage(t)
		if len(data) == 0 {
			return
		}
		rest := data[1:]
		n := copy(img[iblock:iblock+IBlockSize], rest)
		if data[0]&2 != 0 && len(rest) > n {
			copy(img[leaf:leaf+e.blockSize], rest[n:])
		}
		if data[0]&1 != 0 {
			sb := imageSB(img)
			SetInodeChecksum(sb, img[slot:slot+int(sb.InodeSize)], ino)
			if h, err := DecodeExtentHeader(img[leaf : leaf+e.blockSize]); err == nil {
				seed := InodeCsumSeed(sb.CsumSeed(), ino, binary.LittleEndian.Uint32(img[slot+0x64:]))
				if off, sum := ExtentBlockChecksum(img[leaf:leaf+e.blockSize], seed, h.Max); off+4 <= e.blockSize {
					binary.LittleEndian.PutUint32(img[leaf+off:], sum)
				}
			}
		}
		exercise(img)
	})
}

func FuzzDirBlock(f *testing.F) {
	img := baseFuzzImage(f)
	e, err := Open(bytes.NewReader(img), Options{})
	if err != nil {
		f.Fatal(err)
	}
	ino, err := e.Walk("/dir", false)
	if err != nil {
		f.Fatal(err)
	}
	df, err := e.OpenFile(ino)
	if err != nil {
		f.Fatal(err)
	}
	gen := df.Inode().Generation
	blk := int(df.Extents()[0].Start) * e.blockSize
	bs := e.blockSize
	f.Add(append([]byte{1}, img[blk:blk+bs]...))
	f.Add(append([]byte{1}, img[blk:blk+64]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		img := baseFuzzImage(t)
		if len(data) == 0 {
			return
		}
		copy(img[blk:blk+bs], data[1:])
		if data[0]&1 != 0 {
			sb := imageSB(img)
			PutDirTail(img[blk:blk+bs], InodeCsumSeed(sb.CsumSeed(), ino, gen))
		}
		exercise(img)
	})
}

// memImage is an in-memory ReadWriterAt.
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
		return 0, errors.New("write past the end of the image")
	}
	return copy(m[off:], p), nil
}

// FuzzWriteOps corrupts one block of the image (chosen by the first two
// input bytes) and then runs a fixed series of writes: every failure must
// be a clean error.
func FuzzWriteOps(f *testing.F) {
	img := baseFuzzImage(f)
	f.Add([]byte{0, 0})
	f.Add(append([]byte{0, 2}, img[2*1024:2*1024+64]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(10*time.Second, func() { panic("FuzzWriteOps: input took more than 10s") })
		defer watchdog.Stop()
		img := baseFuzzImage(t)
		if len(data) >= 2 {
			blk := int(data[0])<<8 | int(data[1])
			if off := blk * 1024; off+1024 <= len(img) {
				copy(img[off:off+1024], data[2:])
			}
		}
		e, err := OpenRW(memImage(img), Options{Now: func() unix.Timespec { return unix.Timespec{Sec: 1} }})
		if err != nil {
			return
		}
		root := uint32(RootIno)
		if ino, err := e.Create(root, "new", 0o644, 0, 0); err == nil {
			e.WriteAt(ino, bytes.Repeat([]byte("z"), 5000), 3000)
			e.Truncate(ino, 100)
		}
		if dir, err := e.Walk("/dir", false); err == nil {
			for i := 0; i < 30; i++ {
				e.Create(dir, fmt.Sprintf("fuzz-entry-%02d", i), 0o644, 0, 0)
			}
			e.Unlink(dir, "name-003")
			e.Rename(dir, "name-004", root, "moved")
		}
		if d, err := e.Mkdir(root, "d", 0o755, 0, 0); err == nil {
			e.Symlink(d, "l", string(bytes.Repeat([]byte("t"), 100)), 0, 0)
			e.Rename(root, "d", root, "d2")
		}
		if big, err := e.Walk("/big", false); err == nil {
			e.WriteAt(big, []byte("append"), 16000)
		}
		e.Unlink(root, "sparse")
		e.Unlink(root, "longlink")
		e.Rmdir(root, "dir")
		exercise(img)
	})
}

var (
	journaledOnce sync.Once
	journaledImg  []byte
	journaledErr  error
)

// FuzzJournaledWriteOps is FuzzWriteOps on an image with a journal, so
// that corrupt metadata meets the transaction and replay code; the
// operations end with a simulated crash after a commit and a reopen.
func FuzzJournaledWriteOps(f *testing.F) {
	journaledOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ext4fuzzj")
		if err != nil {
			journaledErr = err
			return
		}
		defer os.RemoveAll(dir)
		src := filepath.Join(dir, "src")
		for i := 0; i < 30; i++ {
			writeFile(f, filepath.Join(src, "dir", fmt.Sprintf("name-%03d", i)), []byte(fmt.Sprint(i)))
		}
		writeFile(f, filepath.Join(src, "big"), bytes.Repeat([]byte("0123456789abcdef"), 1000))
		img := filepath.Join(dir, "img")
		run(f, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-N", "128", "-J", "size=1",
			"-U", "0b6c5e2a-2f1c-4d3b-9a8e-1c2d3e4f5a6b", "-E", "hash_seed=6f1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8",
			"-d", src, img, "3M")
		journaledImg, journaledErr = os.ReadFile(img)
	})
	if journaledErr != nil {
		f.Fatal(journaledErr)
	}
	f.Add([]byte{0, 0})
	f.Add(append([]byte{0, 1}, journaledImg[1024:1024+64]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		img := bytes.Clone(journaledImg)
		if len(data) >= 2 {
			blk := int(data[0])<<8 | int(data[1])
			if off := blk * 1024; off+1024 <= len(img) {
				copy(img[off:off+1024], data[2:])
			}
		}
		e, err := OpenRW(memImage(img), Options{Now: func() unix.Timespec { return unix.Timespec{Sec: 1} }})
		if err != nil {
			exercise(img)
			return
		}
		if dir, err := e.Walk("/dir", false); err == nil {
			for i := 0; i < 20; i++ {
				e.Create(dir, fmt.Sprintf("fuzz-entry-%02d", i), 0o644, 0, 0)
			}
			e.Rename(dir, "name-001", RootIno, "moved")
		}
		if big, err := e.Walk("/big", false); err == nil {
			e.WriteAt(big, []byte("tail"), 20000)
			e.SetXattr(big, "user.x", bytes.Repeat([]byte("x"), 300), 0)
		}
		if e.jw != nil {
			e.jw.crashAfterCommit = true
		}
		e.Mkdir(RootIno, "after", 0o755, 0, 0)
		exercise(img) // replays the committed transaction in memory
		if e2, err := OpenRW(memImage(img), Options{}); err == nil {
			e2.Close()
		}
	})
}
