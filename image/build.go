package image

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/ext4"
)

// Options control Build. The zero value builds an automatically sized
// image with 4 KiB blocks.
type Options struct {
	// Size is the image size in bytes; 0 picks the smallest size that
	// holds the tree plus FreeSpace.
	Size int64
	// FreeSpace is extra room (bytes) when Size is 0.
	FreeSpace int64
	// Label is the volume name (at most 16 bytes).
	Label string
	// UUID and HashSeed default to values derived from the tree.
	UUID, HashSeed [16]byte
	// Time is the file system's creation/check time (seconds), as
	// SOURCE_DATE_EPOCH would give it. Inode times come from the tree.
	Time int64
	// BlockSize is 1024, 2048 or 4096 (default 4096).
	BlockSize int
	// Inodes is the minimum inode count (default: the tree's inodes and
	// half as many again, and at least one per 8 KiB of space).
	Inodes uint32
	// NoJournal leaves out the journal (an ext2-style image with ext4
	// features).
	NoJournal bool
	// Owner, if set, makes every file owned by (*Owner)[0]:(*Owner)[1].
	Owner *[2]uint32
	// Progress, if set, is called as inodes are written (done of total).
	Progress func(done, total int)
}

// ErrNoSpace is returned when the tree does not fit in Options.Size.
var ErrNoSpace = errors.New("image: the tree does not fit in the image size")

const (
	inodeSize   = 256
	bytesPerIno = 8192
	lpfName     = "lost+found"
)

// geometry is the block group layout.
type geometry struct {
	bs        uint64
	fdb       uint64 // first data block
	bpg       uint64
	total     uint64
	groups    uint64
	ipg       uint64
	itb       uint64 // inode table blocks per group
	gdtBlocks uint64
}

func isPow(n, b uint64) bool {
	for n%b == 0 {
		n /= b
	}
	return n == 1
}

func (g *geometry) hasSuper(i uint64) bool {
	return i <= 1 || i&1 == 1 && (isPow(i, 3) || isPow(i, 5) || isPow(i, 7))
}
func (g *geometry) start(i uint64) uint64 { return g.fdb + i*g.bpg }
func (g *geometry) end(i uint64) uint64   { return min(g.start(i+1), g.total) }
func (g *geometry) blockBitmap(i uint64) uint64 {
	b := g.start(i)
	if g.hasSuper(i) {
		b += 1 + g.gdtBlocks
	}
	return b
}
func (g *geometry) inodeBitmap(i uint64) uint64 { return g.blockBitmap(i) + 1 }
func (g *geometry) inodeTable(i uint64) uint64  { return g.blockBitmap(i) + 2 }
func (g *geometry) dataStart(i uint64) uint64   { return g.inodeTable(i) + g.itb }

// dataBlocks is the number of blocks left for data in all groups.
func (g *geometry) dataBlocks() uint64 {
	var n uint64
	for i := uint64(0); i < g.groups; i++ {
		n += g.end(i) - g.dataStart(i)
	}
	return n
}

// newGeometry lays out total blocks with at least inodes inodes. It may
// grow total so the last group holds its own metadata.
func newGeometry(bs, total, inodes uint64) (*geometry, error) {
	g := &geometry{bs: bs, bpg: 8 * bs}
	if bs == 1024 {
		g.fdb = 1
	}
	for {
		g.total = total
		g.groups = (total - g.fdb + g.bpg - 1) / g.bpg
		ipb := bs / inodeSize
		// Whole inode table blocks and whole bitmap bytes.
		unit := max(ipb, 8)
		ipg := (inodes + g.groups - 1) / g.groups
		ipg = max((ipg+unit-1)/unit*unit, unit)
		if ipg > 8*bs {
			return nil, ErrNoSpace
		}
		g.ipg = ipg
		g.itb = ipg / ipb
		g.gdtBlocks = (g.groups*64 + bs - 1) / bs
		last := g.groups - 1
		if g.end(last) < g.dataStart(last)+16 {
			// Too small a last group for its metadata: extend it.
			total = g.dataStart(last) + 16
			if (total-g.fdb+g.bpg-1)/g.bpg != g.groups {
				return nil, ErrNoSpace
			}
			continue
		}
		return g, nil
	}
}

// builder holds the state of one Build.
type builder struct {
	out   *os.File
	opts  Options
	geo   *geometry
	sb    *ext4.Superblock
	nodes []*Node // by inode number - 1 (nil for unused reserved inodes)
	// next is the next free block; allocation is sequential and skips
	// each group's metadata.
	next      uint64
	group     uint64
	usedDirs  []uint32
	itables   [][]byte // per group, allocated on first use
	buf       []byte
	jblocks   uint64
	lpf       *Node
	journalIn *Node
}

// Build writes tree as a fresh ext4 image into out, replacing its
// contents.
func Build(tree *Tree, out *os.File, opts Options) error {
	if opts.BlockSize == 0 {
		opts.BlockSize = 4096
	}
	switch opts.BlockSize {
	case 1024, 2048, 4096:
	default:
		return fmt.Errorf("image: block size %d: want 1024, 2048 or 4096", opts.BlockSize)
	}
	if len(opts.Label) > 16 {
		return fmt.Errorf("image: label %q longer than 16 bytes", opts.Label)
	}
	b := &builder{out: out, opts: opts}
	if err := b.collect(tree); err != nil {
		return err
	}
	if opts.UUID == ([16]byte{}) || opts.HashSeed == ([16]byte{}) {
		u, h := deriveIDs(b.nodes)
		if opts.UUID == ([16]byte{}) {
			b.opts.UUID = u
		}
		if opts.HashSeed == ([16]byte{}) {
			b.opts.HashSeed = h
		}
	}
	if opts.Size != 0 {
		return b.build(uint64(opts.Size) / uint64(opts.BlockSize))
	}
	total := b.estimate()
	for try := 0; ; try++ {
		err := b.build(total)
		if !errors.Is(err, ErrNoSpace) || try == 8 {
			return err
		}
		total += total/2 + 64
	}
}

// BuildFile builds into the file at path (created or truncated).
func BuildFile(tree *Tree, path string, opts Options) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if err := Build(tree, f, opts); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// collect numbers the inodes: root 2, lost+found 11, the rest from 12 in
// depth-first order of sorted names.
func (b *builder) collect(tree *Tree) error {
	root := tree.Root
	if root.Type() != unix.S_IFDIR {
		return errors.New("image: the root is not a directory")
	}
	for _, n := range b.nodes {
		if n != nil {
			n.ino, n.nlink, n.parent = 0, 0, nil
		}
	}
	b.nodes = make([]*Node, ext4.GoodOldFirstIno-1)
	b.lpf = root.children[lpfName]
	if b.lpf == nil || b.lpf.Type() != unix.S_IFDIR {
		b.lpf = &Node{Mode: unix.S_IFDIR | 0o700, children: map[string]*Node{},
			Atime: root.Mtime, Mtime: root.Mtime}
		root.children[lpfName] = b.lpf
	}
	clearNodes(root)
	root.ino, root.parent = ext4.RootIno, root
	b.nodes[ext4.RootIno-1] = root
	b.lpf.ino = ext4.GoodOldFirstIno
	b.nodes = append(b.nodes, b.lpf)
	lpfWalked := false
	var walk func(dir *Node) error
	walk = func(dir *Node) error {
		dir.nlink = 2
		for _, name := range sortedNames(dir) {
			n := dir.children[name]
			if n == b.lpf && !lpfWalked {
				lpfWalked = true
				if err := walk(n); err != nil {
					return err
				}
			} else if n.ino == 0 {
				n.ino = uint32(len(b.nodes) + 1)
				b.nodes = append(b.nodes, n)
				if n.Type() == unix.S_IFDIR {
					n.parent = dir
					if err := walk(n); err != nil {
						return err
					}
				}
			} else if n.Type() == unix.S_IFDIR && n != b.lpf {
				return fmt.Errorf("image: directory %s is linked twice", name)
			}
			if n.Type() == unix.S_IFDIR {
				dir.nlink++
			} else {
				n.nlink++
			}
		}
		return nil
	}
	b.lpf.parent = root
	return walk(root)
}

func clearNodes(dir *Node) {
	dir.ino, dir.nlink, dir.parent = 0, 0, nil
	for _, n := range dir.children {
		if n.Type() == unix.S_IFDIR {
			clearNodes(n)
		} else {
			n.ino, n.nlink = 0, 0
		}
	}
}

func sortedNames(dir *Node) []string {
	names := make([]string, 0, len(dir.children))
	for name := range dir.children {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// deriveIDs hashes the tree's shape into a UUID and a hash seed, so that
// the same inputs give the same image and different trees differ.
func deriveIDs(nodes []*Node) (uuid, seed [16]byte) {
	h := sha256.New()
	var w [8]byte
	for _, n := range nodes {
		if n == nil {
			continue
		}
		for _, v := range []uint64{uint64(n.ino), uint64(n.Mode), uint64(n.UID), uint64(n.GID),
			uint64(n.Size), uint64(n.Mtime.Sec), uint64(n.Mtime.Nsec), uint64(len(n.children))} {
			binary.LittleEndian.PutUint64(w[:], v)
			h.Write(w[:])
		}
		h.Write([]byte(n.Target))
		for _, name := range sortedNames(n) {
			h.Write([]byte(name))
			h.Write([]byte{0})
		}
	}
	sum := h.Sum(nil)
	copy(uuid[:], sum[:16])
	copy(seed[:], sum[16:])
	uuid[6] = uuid[6]&0x0F | 0x40 // version 4 layout
	uuid[8] = uuid[8]&0x3F | 0x80
	return uuid, seed
}

// estimate returns a block count that should hold the tree.
func (b *builder) estimate() uint64 {
	bs := uint64(b.opts.BlockSize)
	var blocks uint64
	for _, n := range b.nodes {
		if n == nil {
			continue
		}
		switch n.Type() {
		case unix.S_IFREG:
			blocks += n.dataBlocksEstimate(bs)
		case unix.S_IFDIR:
			lin := uint64(len(linearDirBlocks(b, n)))
			blocks += lin
			if lin > 1 {
				blocks += 2 + lin/100 // htree root and interior nodes
			}
		case unix.S_IFLNK:
			if len(n.Target) >= ext4.IBlockSize {
				blocks++
			}
		}
		if len(n.Xattrs) > 0 {
			blocks++
		}
	}
	blocks += uint64(b.opts.FreeSpace) / bs
	blocks += blocks/50 + 64
	if !b.opts.NoJournal {
		blocks += journalBlocks(blocks)
	}
	// Group metadata: roughly one bitmap pair and inode table per group.
	inodes := uint64(len(b.nodes))*3/2 + 64
	blocks += inodes*inodeSize/bs + 8 + blocks/(8*bs)*(2+uint64(b.opts.BlockSize)/64)
	return blocks
}

// dataBlocksEstimate bounds the data blocks of a regular file: the host's
// allocation when the file is sparse there, else its size.
func (n *Node) dataBlocksEstimate(bs uint64) uint64 {
	full := (uint64(n.Size) + bs - 1) / bs
	if n.data.path != "" {
		if fi, err := os.Stat(n.data.path); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				alloc := (uint64(st.Blocks)*512+bs-1)/bs + 1
				return min(full, alloc)
			}
		}
	}
	return full
}

// journalBlocks follows mke2fs's default journal size for a file system
// of n blocks.
func journalBlocks(n uint64) uint64 {
	switch {
	case n < 32768:
		return 1024
	case n < 256*1024:
		return 4096
	case n < 512*1024:
		return 8192
	case n < 4096*1024:
		return 16384
	}
	return 32768
}

// alloc returns up to want contiguous free blocks.
func (b *builder) alloc(want uint64) (start, n uint64, err error) {
	for b.group < b.geo.groups {
		if b.next < b.geo.dataStart(b.group) {
			b.next = b.geo.dataStart(b.group)
		}
		if end := b.geo.end(b.group); b.next < end {
			n = min(want, end-b.next)
			start = b.next
			b.next += n
			return start, n, nil
		}
		b.group++
	}
	return 0, 0, ErrNoSpace
}

// allocRun allocates count blocks as extents starting at logical block
// lblk, appending to exts (merging with the last one when contiguous).
func (b *builder) allocRun(exts []ext4.Extent, lblk, count uint64, write func(phys, lblk, n uint64) error) ([]ext4.Extent, error) {
	for count > 0 {
		start, n, err := b.alloc(min(count, ext4.MaxInitExtentLen))
		if err != nil {
			return nil, err
		}
		if write != nil {
			if err := write(start, lblk, n); err != nil {
				return nil, err
			}
		}
		if k := len(exts); k > 0 {
			last := &exts[k-1]
			if uint64(last.Block)+uint64(last.Len) == lblk && last.Start+uint64(last.Len) == start &&
				uint64(last.Len)+n <= ext4.MaxInitExtentLen {
				last.Len += uint16(n)
				lblk += n
				count -= n
				continue
			}
		}
		exts = append(exts, ext4.Extent{Block: uint32(lblk), Len: uint16(n), Start: start})
		lblk += n
		count -= n
	}
	return exts, nil
}
