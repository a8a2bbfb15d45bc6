package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/ext4"
)

// Node is one inode of the tree to build. Several directory entries may
// share a Node (hard links).
type Node struct {
	Mode         uint32 // S_IF* type bits | permission bits
	UID, GID     uint32
	Atime, Mtime unix.Timespec
	// Size is the length of a regular file's contents.
	Size int64
	// Target is a symlink's target.
	Target string
	// Major and Minor are a device node's numbers.
	Major, Minor uint32
	// Xattrs are extended attributes ("user.x", "security.capability").
	Xattrs []ext4.Xattr

	children map[string]*Node // directories
	data     content          // regular files

	// Filled in by Build.
	ino    uint32
	nlink  uint32
	parent *Node // for "..": the directory that first named this one
	// xattrsInInode is set when Xattrs fit in the inode.
	xattrsInInode bool
}

// content says where a regular file's bytes come from.
type content struct {
	path  string   // host file, opened while building
	spool *os.File // or a region of the tree's spool file
	off   int64
	bytes []byte // or bytes in memory
}

// Type returns the S_IF* bits.
func (n *Node) Type() uint32 { return n.Mode & unix.S_IFMT }

// Tree is a directory tree to build an image from.
type Tree struct {
	Root  *Node
	spool *os.File // holds tarball contents; removed by Close
	// others are trees whose nodes were merged into this one; closed
	// with it.
	others []*Tree
}

// NewTree returns a tree with an empty root directory (0755, root-owned).
func NewTree() *Tree {
	return &Tree{Root: &Node{Mode: unix.S_IFDIR | 0o755, children: map[string]*Node{}}}
}

// Close releases the tree's temporary storage.
func (t *Tree) Close() error {
	for _, o := range t.others {
		o.Close()
	}
	t.others = nil
	if t.spool == nil {
		return nil
	}
	name := t.spool.Name()
	err := t.spool.Close()
	os.Remove(name)
	t.spool = nil
	return err
}

// cleanPath turns an archive or user path into its components, refusing
// paths that climb out of the root.
func cleanPath(p string) ([]string, error) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return nil, nil
	}
	parts := strings.Split(p, "/")
	for _, c := range parts {
		if c == ".." || len(c) > 255 {
			return nil, fmt.Errorf("image: bad path component %q in %q", c, p)
		}
	}
	return parts, nil
}

// lookupDir returns the directory for parts, creating missing ones.
// Symlinks met on the way are followed inside the tree (absolute targets
// from its root), as extracting a tarball over a root with /lib ->
// usr/lib would.
func (t *Tree) lookupDir(parts []string, create bool) (*Node, error) {
	stack := []*Node{t.Root}
	queue := append([]string(nil), parts...)
	links := 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		dir := stack[len(stack)-1]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		next, ok := dir.children[c]
		if !ok {
			if !create {
				return nil, fmt.Errorf("image: %s: %w", strings.Join(parts, "/"), fs.ErrNotExist)
			}
			next = &Node{Mode: unix.S_IFDIR | 0o755, children: map[string]*Node{}}
			dir.children[c] = next
		}
		if next.Type() == unix.S_IFLNK {
			if links++; links > 40 {
				return nil, fmt.Errorf("image: %s: too many levels of symbolic links", strings.Join(parts, "/"))
			}
			if strings.HasPrefix(next.Target, "/") {
				stack = stack[:1]
			}
			queue = append(strings.Split(next.Target, "/"), queue...)
			continue
		}
		if next.Type() != unix.S_IFDIR {
			return nil, fmt.Errorf("image: %s is not a directory", c)
		}
		stack = append(stack, next)
	}
	return stack[len(stack)-1], nil
}

// Add places n at path p, creating parent directories (0755, root-owned)
// as needed. An existing entry is replaced, except that adding a directory
// over a directory keeps the old one's children.
func (t *Tree) Add(p string, n *Node) error {
	parts, err := cleanPath(p)
	if err != nil {
		return err
	}
	if n.Type() == unix.S_IFDIR && n.children == nil {
		n.children = map[string]*Node{}
	}
	if len(parts) == 0 {
		if n.Type() != unix.S_IFDIR {
			return errors.New("image: the root must be a directory")
		}
		n.children = t.Root.children
		t.Root = n
		return nil
	}
	dir, err := t.lookupDir(parts[:len(parts)-1], true)
	if err != nil {
		return err
	}
	name := parts[len(parts)-1]
	if old, ok := dir.children[name]; ok && old.Type() == unix.S_IFDIR && n.Type() == unix.S_IFDIR {
		n.children = old.children
	}
	dir.children[name] = n
	return nil
}

// AddBytes adds a regular file with the given contents.
func (t *Tree) AddBytes(p string, data []byte, mode, uid, gid uint32, mtime unix.Timespec) error {
	return t.Add(p, &Node{Mode: unix.S_IFREG | mode&0o7777, UID: uid, GID: gid, Atime: mtime, Mtime: mtime,
		Size: int64(len(data)), data: content{bytes: data}})
}

// Get returns the node at p.
func (t *Tree) Get(p string) (*Node, error) {
	parts, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return t.Root, nil
	}
	dir, err := t.lookupDir(parts[:len(parts)-1], false)
	if err != nil {
		return nil, err
	}
	n, ok := dir.children[parts[len(parts)-1]]
	if !ok {
		return nil, fmt.Errorf("image: %s: %w", p, fs.ErrNotExist)
	}
	return n, nil
}

// Link adds a hard link at p to the existing non-directory at target.
func (t *Tree) Link(p, target string) error {
	n, err := t.Get(target)
	if err != nil {
		return err
	}
	if n.Type() == unix.S_IFDIR {
		return fmt.Errorf("image: hard link %s to directory %s", p, target)
	}
	return t.Add(p, n)
}

// FromDir reads the tree under the host directory dir. Owners, modes,
// modification times (also used as access times), hard links, symlinks,
// device nodes and extended attributes are kept.
func FromDir(dir string) (*Tree, error) {
	t := NewTree()
	seen := map[[2]uint64]*Node{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("image: %s: no stat data", p)
		}
		rel, _ := filepath.Rel(dir, p)
		key := [2]uint64{st.Dev, st.Ino}
		if prev, ok := seen[key]; ok && prev.Type() != unix.S_IFDIR {
			return t.Add(rel, prev)
		}
		n := &Node{
			Mode:  st.Mode,
			UID:   st.Uid,
			GID:   st.Gid,
			Mtime: unix.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		}
		// The access time changes whenever a build reads the file; use
		// the modification time so that builds are reproducible.
		n.Atime = n.Mtime
		switch n.Type() {
		case unix.S_IFREG:
			n.Size = st.Size
			n.data = content{path: p}
		case unix.S_IFLNK:
			if n.Target, err = os.Readlink(p); err != nil {
				return err
			}
		case unix.S_IFCHR, unix.S_IFBLK:
			n.Major, n.Minor = unix.Major(st.Rdev), unix.Minor(st.Rdev)
		case unix.S_IFDIR, unix.S_IFIFO, unix.S_IFSOCK:
		default:
			return fmt.Errorf("image: %s: unknown file type 0%o", p, n.Mode)
		}
		if n.Xattrs, err = hostXattrs(p); err != nil {
			return err
		}
		if st.Nlink > 1 {
			seen[key] = n
		}
		return t.Add(rel, n)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// hostXattrs reads the extended attributes of the host file p (not
// following a symlink), sorted by name. A file system without xattr
// support has none.
func hostXattrs(p string) ([]ext4.Xattr, error) {
	size, err := unix.Llistxattr(p, nil)
	if err == unix.ENOTSUP || err == unix.ENODATA || size == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("image: %s: listxattr: %w", p, err)
	}
	buf := make([]byte, size)
	if size, err = unix.Llistxattr(p, buf); err != nil {
		return nil, fmt.Errorf("image: %s: listxattr: %w", p, err)
	}
	var xs []ext4.Xattr
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		vsize, err := unix.Lgetxattr(p, name, nil)
		if err == unix.ENODATA {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("image: %s: getxattr %s: %w", p, name, err)
		}
		val := make([]byte, vsize)
		if vsize, err = unix.Lgetxattr(p, name, val); err != nil {
			return nil, fmt.Errorf("image: %s: getxattr %s: %w", p, name, err)
		}
		xs = append(xs, ext4.Xattr{Name: name, Value: val[:vsize]})
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i].Name < xs[j].Name })
	return xs, nil
}

// OpenSource reads a tree from a host directory, an OCI image layout
// (a directory; "DIR:REF" names one of several images) or a tarball
// (plain, gzip- or zstd-compressed, recognized by its contents).
func OpenSource(src string) (*Tree, error) {
	if dir, ref, ok := strings.Cut(src, ":"); ok && IsOCILayout(dir) {
		return FromOCILayout(dir, ref)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		if IsOCILayout(src) {
			return FromOCILayout(src, "")
		}
		return FromDir(src)
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return FromTar(f)
}

// FromTar reads a tarball, plain, gzip- or zstd-compressed. Entries later in the
// archive replace earlier ones with the same name. Regular file contents
// are copied into a temporary spool file (holes kept) until Close.
func FromTar(r io.Reader) (*Tree, error) {
	t := NewTree()
	if err := t.applyTar(r, false); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// ApplyLayer adds a container image layer (a tarball, plain, gzip or zstd) on
// top of the tree, with OCI whiteouts: "dir/.wh.NAME" removes NAME from
// the layers below and "dir/.wh..wh..opq" hides everything the lower
// layers had in dir.
func (t *Tree) ApplyLayer(r io.Reader) error { return t.applyTar(r, true) }

func (t *Tree) applyTar(r io.Reader, layer bool) error {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(4)
	var in io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("image: gzip: %w", err)
		}
		defer gz.Close()
		in = gz
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("image: zstd: %w", err)
		}
		defer zr.Close()
		in = zr
	}
	if t.spool == nil {
		spool, err := os.CreateTemp("", "kite-image-spool-*")
		if err != nil {
			return err
		}
		t.spool = spool
	}
	return t.readTar(tar.NewReader(in), layer)
}

// whiteoutPrefix marks OCI/AUFS whiteout entries in layers.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

func (t *Tree) readTar(tr *tar.Reader, layer bool) error {
	end, err := t.spool.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	spoolEnd := end
	buf := make([]byte, 1<<16)
	added := map[*Node]bool{} // nodes from this layer (opaque dirs keep them)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("image: tar: %w", err)
		}
		if layer {
			dirPath, base := path.Split(path.Clean("/" + h.Name))
			if base == whiteoutOpaque {
				dir, err := t.lookupDir(mustClean(dirPath), true)
				if err != nil {
					return err
				}
				added[dir] = true
				for name, c := range dir.children {
					if !added[c] {
						delete(dir.children, name)
					}
				}
				continue
			}
			if victim, ok := strings.CutPrefix(base, whiteoutPrefix); ok {
				if dir, err := t.lookupDir(mustClean(dirPath), false); err == nil {
					delete(dir.children, victim)
				}
				continue
			}
		}
		mt := unix.NsecToTimespec(h.ModTime.UnixNano())
		at := mt
		if !h.AccessTime.IsZero() {
			at = unix.NsecToTimespec(h.AccessTime.UnixNano())
		}
		n := &Node{Mode: uint32(h.Mode) & 0o7777, UID: uint32(h.Uid), GID: uint32(h.Gid), Atime: at, Mtime: mt}
		for k, v := range h.PAXRecords {
			if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
				n.Xattrs = append(n.Xattrs, ext4.Xattr{Name: name, Value: []byte(v)})
			}
		}
		sort.Slice(n.Xattrs, func(i, j int) bool { return n.Xattrs[i].Name < n.Xattrs[j].Name })
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			n.Mode |= unix.S_IFREG
			off := (spoolEnd + 4095) &^ 4095
			size, err := spoolCopy(t.spool, off, tr, buf)
			if err != nil {
				return err
			}
			n.Size = size
			n.data = content{spool: t.spool, off: off}
			spoolEnd = off + size
		case tar.TypeDir:
			n.Mode |= unix.S_IFDIR
		case tar.TypeSymlink:
			n.Mode |= unix.S_IFLNK
			n.Target = h.Linkname
		case tar.TypeLink:
			if err := t.Link(h.Name, h.Linkname); err != nil {
				return err
			}
			continue
		case tar.TypeChar:
			n.Mode |= unix.S_IFCHR
			n.Major, n.Minor = uint32(h.Devmajor), uint32(h.Devminor)
		case tar.TypeBlock:
			n.Mode |= unix.S_IFBLK
			n.Major, n.Minor = uint32(h.Devmajor), uint32(h.Devminor)
		case tar.TypeFifo:
			n.Mode |= unix.S_IFIFO
		case tar.TypeXGlobalHeader:
			continue
		default:
			return fmt.Errorf("image: tar entry %s: unsupported type %q", h.Name, h.Typeflag)
		}
		added[n] = true
		if err := t.Add(h.Name, n); err != nil {
			return err
		}
		if n.Type() == unix.S_IFDIR {
			// Add kept the old directory's children: those came from
			// lower layers unless added here.
			added[n] = true
		}
	}
}

// mustClean splits a directory path into components; whiteout paths come
// from path.Clean("/"+name), so they never climb out.
func mustClean(dir string) []string {
	parts, _ := cleanPath(dir)
	return parts
}

// spoolCopy copies r to f at off, leaving all-zero 4 KiB blocks as holes.
func spoolCopy(f *os.File, off int64, r io.Reader, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		for i := 0; i < n; i += 4096 {
			b := buf[i:min(i+4096, n)]
			if !isZero(b) {
				if _, werr := f.WriteAt(b, off+total+int64(i)); werr != nil {
					return 0, werr
				}
			}
		}
		total += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return total, nil
		}
		if err != nil {
			return 0, fmt.Errorf("image: tar: %w", err)
		}
	}
}

func isZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
