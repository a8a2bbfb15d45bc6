package fat

import (
	"encoding/binary"
	"io"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/sys/unix"
)

// ReadAt reads from the regular file at path.
func (fs *FS) ReadAt(path string, p []byte, off int64) (int, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	_, loc, err := fs.resolve(path)
	if err != nil {
		return 0, err
	}
	if loc == nil || loc.IsDir() {
		return 0, unix.EISDIR
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	size := int64(loc.Size)
	if off >= size {
		return 0, io.EOF
	}
	want := len(p)
	p = p[:min(int64(len(p)), size-off)]
	var cs []uint32
	if loc.Cluster != 0 {
		if cs, err = fs.chain(loc.Cluster); err != nil {
			return 0, err
		}
	}
	cl := int64(fs.clusterSize)
	if int64(len(cs))*cl < size {
		return 0, corrupt("%s: %d clusters for %d bytes", path, len(cs), size)
	}
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		c := cs[pos/cl]
		n := min(cl-pos%cl, int64(len(p)-done))
		if _, err := fs.dev.ReadAt(p[done:done+int(n)], fs.clusterOff(c)+pos%cl); err != nil {
			return done, corrupt("reading cluster %d: %v", c, err)
		}
		done += int(n)
	}
	if done < want {
		return done, io.EOF
	}
	return done, nil
}

// ReadFile returns a whole file.
func (fs *FS) ReadFile(path string) ([]byte, error) {
	st, err := fs.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, unix.EISDIR
	}
	buf := make([]byte, st.Size)
	if _, err := fs.ReadAt(path, buf, 0); err != nil && err != io.EOF {
		return nil, err
	}
	return buf, nil
}

func (fs *FS) writable() error {
	if fs.wdev == nil {
		return unix.EROFS
	}
	return nil
}

// setCluster stores the first cluster in a short entry.
func (fs *FS) setCluster(e []byte, c uint32) {
	binary.LittleEndian.PutUint16(e[26:], uint16(c))
	if fs.fatType == 32 {
		binary.LittleEndian.PutUint16(e[20:], uint16(c>>16))
	} else {
		binary.LittleEndian.PutUint16(e[20:], 0)
	}
}

func (fs *FS) touchEntry(e []byte) {
	d, t, _ := encodeDate(fs.now())
	binary.LittleEndian.PutUint16(e[22:], t)
	binary.LittleEndian.PutUint16(e[24:], d)
	binary.LittleEndian.PutUint16(e[18:], d)
}

// resize makes the chain of the file at loc hold size bytes: extra
// clusters are allocated (zeroed) or freed, and the bytes past size in
// the last cluster are zeroed. It returns the chain.
func (fs *FS) resize(loc *located, size int64) ([]uint32, error) {
	var cs []uint32
	var err error
	if loc.Cluster != 0 {
		if cs, err = fs.chain(loc.Cluster); err != nil {
			return nil, err
		}
	}
	cl := int64(fs.clusterSize)
	need := int((size + cl - 1) / cl)
	if need > len(cs) && uint32(need-len(cs)) > fs.free {
		return nil, unix.ENOSPC // fail before changing anything
	}
	e := loc.dir.buf[loc.short*entrySize : (loc.short+1)*entrySize]
	for len(cs) < need {
		prev := uint32(0)
		if len(cs) > 0 {
			prev = cs[len(cs)-1]
		}
		c, err := fs.allocCluster(prev)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			fs.setCluster(e, c)
			loc.Cluster = c
		}
		cs = append(cs, c)
	}
	if len(cs) > need {
		if need == 0 {
			if err := fs.freeChain(cs[0]); err != nil {
				return nil, err
			}
			fs.setCluster(e, 0)
			loc.Cluster = 0
			cs = nil
		} else {
			if err := fs.setFAT(cs[need-1], fs.eocMark()); err != nil {
				return nil, err
			}
			if err := fs.freeChain(cs[need]); err != nil {
				return nil, err
			}
			cs = cs[:need]
		}
	}
	if rem := size % cl; rem != 0 && len(cs) > 0 {
		zero := make([]byte, cl-rem)
		if _, err := fs.wdev.WriteAt(zero, fs.clusterOff(cs[len(cs)-1])+rem); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// WriteAt writes p at off in the regular file at path, growing it.
func (fs *FS) WriteAt(path string, p []byte, off int64) (int, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.writeAtLocked(path, p, off)
}

// writeAtLocked is WriteAt.
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) writeAtLocked(path string, p []byte, off int64) (int, error) {
	if err := fs.writable(); err != nil {
		return 0, err
	}
	_, loc, err := fs.resolve(path)
	if err != nil {
		return 0, err
	}
	if loc == nil || loc.IsDir() {
		return 0, unix.EISDIR
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	end := off + int64(len(p))
	if end > 0xFFFFFFFF {
		return 0, unix.EFBIG
	}
	size := int64(loc.Size)
	var cs []uint32
	if end > size {
		// Grow first: resize zeroes the old tail, so a gap reads as zeros.
		if cs, err = fs.resize(loc, size); err != nil {
			return 0, err
		}
		if cs, err = fs.resize(loc, end); err != nil {
			return 0, err
		}
		size = end
	} else if loc.Cluster != 0 {
		if cs, err = fs.chain(loc.Cluster); err != nil {
			return 0, err
		}
	}
	cl := int64(fs.clusterSize)
	for done := 0; done < len(p); {
		pos := off + int64(done)
		n := min(cl-pos%cl, int64(len(p)-done))
		if _, err := fs.wdev.WriteAt(p[done:done+int(n)], fs.clusterOff(cs[pos/cl])+pos%cl); err != nil {
			return done, err
		}
		done += int(n)
	}
	e := loc.dir.buf[loc.short*entrySize : (loc.short+1)*entrySize]
	binary.LittleEndian.PutUint32(e[28:], uint32(size))
	e[11] |= AttrArchive
	fs.touchEntry(e)
	return len(p), fs.putEntries(loc.dir, loc.short, 1)
}

// Truncate sets the size of the regular file at path.
func (fs *FS) Truncate(path string, size int64) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.writable(); err != nil {
		return err
	}
	_, loc, err := fs.resolve(path)
	if err != nil {
		return err
	}
	if loc == nil || loc.IsDir() {
		return unix.EISDIR
	}
	if size < 0 || size > 0xFFFFFFFF {
		return unix.EINVAL
	}
	if size > int64(loc.Size) {
		if _, err := fs.resize(loc, int64(loc.Size)); err != nil {
			return err
		}
	}
	if _, err := fs.resize(loc, size); err != nil {
		return err
	}
	e := loc.dir.buf[loc.short*entrySize : (loc.short+1)*entrySize]
	binary.LittleEndian.PutUint32(e[28:], uint32(size))
	fs.touchEntry(e)
	return fs.putEntries(loc.dir, loc.short, 1)
}

// validShortChar reports whether c may appear in an 8.3 name.
func validShortChar(c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		return c < 0x80
	}
	return strings.IndexByte("$%'-_@~`!(){}^#&", c) >= 0
}

// exactShort returns the 11-byte form of name if name is itself a valid
// upper-case 8.3 name (so no long name is needed).
func exactShort(name string) ([11]byte, bool) {
	var s [11]byte
	base, ext, dot := strings.Cut(name, ".")
	if len(base) == 0 || len(base) > 8 || len(ext) > 3 || strings.Contains(ext, ".") || dot && ext == "" {
		return s, false
	}
	for i := range s {
		s[i] = ' '
	}
	for i := 0; i < len(base); i++ {
		if !validShortChar(base[i]) {
			return s, false
		}
		s[i] = base[i]
	}
	for i := 0; i < len(ext); i++ {
		if !validShortChar(ext[i]) {
			return s, false
		}
		s[8+i] = ext[i]
	}
	return s, true
}

// makeShort generates a unique "BASIS~N.EXT" alias for a long name.
func makeShort(name string, taken map[string]bool) ([11]byte, error) {
	clean := func(s string, n int) string {
		var b []byte
		for _, r := range strings.ToUpper(s) {
			if r == ' ' || r == '.' {
				continue
			}
			c := byte('_')
			if r < 0x80 && validShortChar(byte(r)) {
				c = byte(r)
			}
			b = append(b, c)
			if len(b) == n {
				break
			}
		}
		return string(b)
	}
	trimmed := strings.TrimLeft(name, ". ")
	base, ext := trimmed, ""
	if i := strings.LastIndexByte(trimmed, '.'); i > 0 {
		base, ext = trimmed[:i], trimmed[i+1:]
	}
	b, x := clean(base, 8), clean(ext, 3)
	if b == "" {
		b = "_"
	}
	for n := 1; n < 1000000; n++ {
		tail := "~" + itoa(n)
		bb := b
		if len(bb)+len(tail) > 8 {
			bb = bb[:8-len(tail)]
		}
		cand := bb + tail
		full := cand
		if x != "" {
			full += "." + x
		}
		if !taken[full] {
			var s [11]byte
			for i := range s {
				s[i] = ' '
			}
			copy(s[:], cand)
			copy(s[8:], x)
			return s, nil
		}
	}
	return [11]byte{}, unix.ENOSPC
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// addEntry writes the entries for name (long-name slots and the 8.3
// entry, given as tmpl with its name bytes replaced) into d, extending the
// directory when it is full. It returns the new entry's location.
func (fs *FS) addEntry(d *dirData, name string, tmpl []byte) (*located, error) {
	if len(name) == 0 || strings.ContainsAny(name, "/\\:*?\"<>|\x00") || name == "." || name == ".." {
		return nil, unix.EINVAL
	}
	if strings.TrimRight(name, ". ") == "" {
		return nil, unix.EINVAL
	}
	u := utf16.Encode([]rune(name))
	if len(u) > maxNameLen {
		return nil, unix.ENAMETOOLONG
	}
	ents, err := fs.parseDir(d)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, e := range ents {
		taken[e.ShortName] = true
	}
	short, exact := exactShort(name)
	if exact && taken[name] {
		return nil, unix.EEXIST
	}
	var slots [][]byte
	if !exact {
		if short, err = makeShort(name, taken); err != nil {
			return nil, err
		}
		n := (len(u) + lfnChars - 1) / lfnChars
		sum := lfnChecksum(short[:])
		for k := n - 1; k >= 0; k-- {
			e := make([]byte, entrySize)
			e[0] = byte(k + 1)
			if k == n-1 {
				e[0] |= 0x40
			}
			e[11], e[13] = attrLFN, sum
			var chars [lfnChars]uint16
			for i := range chars {
				switch j := k*lfnChars + i; {
				case j < len(u):
					chars[i] = u[j]
				case j == len(u):
					chars[i] = 0
				default:
					chars[i] = 0xFFFF
				}
			}
			pos := 0
			for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
				for off := r[0]; off < r[1]; off += 2 {
					binary.LittleEndian.PutUint16(e[off:], chars[pos])
					pos++
				}
			}
			slots = append(slots, e)
		}
	}
	se := make([]byte, entrySize)
	copy(se, tmpl)
	copy(se[:11], short[:])
	if se[0] == 0xE5 {
		se[0] = 0x05
	}
	se[12] = 0 // no lower-case flags: the long name carries the case
	slots = append(slots, se)
	// Find a run of free slots.
	need := len(slots)
	for {
		total := len(d.buf) / entrySize
		run := 0
		for i := 0; i < total; i++ {
			if c := d.buf[i*entrySize]; c == 0x00 || c == 0xE5 {
				run++
			} else {
				run = 0
				continue
			}
			if run == need {
				start := i - need + 1
				for k, s := range slots {
					copy(d.buf[(start+k)*entrySize:], s)
				}
				if err := fs.putEntries(d, start, need); err != nil {
					return nil, err
				}
				loc := &located{dir: d, lfnStart: start, short: start + need - 1}
				loc.Name, loc.ShortName = name, shortString(short[:])
				return loc, nil
			}
		}
		if d.ref.fixedRoot {
			return nil, unix.ENOSPC
		}
		if len(d.buf)+fs.clusterSize > 65536*entrySize {
			return nil, unix.ENOSPC
		}
		c, err := fs.allocCluster(d.clusters[len(d.clusters)-1])
		if err != nil {
			return nil, err
		}
		d.clusters = append(d.clusters, c)
		d.buf = append(d.buf, make([]byte, fs.clusterSize)...)
	}
}

// canAdd reports ENOSPC when name could not be added to d even after
// growing the directory.
func (fs *FS) canAdd(d *dirData, name string) error {
	need := 1
	if _, exact := exactShort(name); !exact {
		need += (len(utf16.Encode([]rune(name))) + lfnChars - 1) / lfnChars
	}
	run := 0
	for i := 0; i < len(d.buf)/entrySize; i++ {
		if c := d.buf[i*entrySize]; c == 0x00 || c == 0xE5 {
			if run++; run == need {
				return nil
			}
		} else {
			run = 0
		}
	}
	// The free run at the end continues into new clusters.
	per := fs.clusterSize / entrySize
	clusters := (need - run + per - 1) / per
	if d.ref.fixedRoot || uint32(clusters) > fs.free || len(d.buf)+clusters*fs.clusterSize > 65536*entrySize {
		return unix.ENOSPC
	}
	return nil
}

// newEntry returns a fresh 8.3 entry template with times set.
func (fs *FS) newEntry(attr uint8, cluster uint32) []byte {
	e := make([]byte, entrySize)
	e[11] = attr
	d, t, tenth := encodeDate(fs.now())
	e[13] = tenth
	binary.LittleEndian.PutUint16(e[14:], t)
	binary.LittleEndian.PutUint16(e[16:], d)
	binary.LittleEndian.PutUint16(e[18:], d)
	binary.LittleEndian.PutUint16(e[22:], t)
	binary.LittleEndian.PutUint16(e[24:], d)
	fs.setCluster(e, cluster)
	return e
}

// parentAndName resolves the directory that will hold path's last
// component.
func (fs *FS) parentAndName(path string) (*dirData, string, uint32, error) {
	comps := splitPath(path)
	if len(comps) == 0 {
		return nil, "", 0, unix.EEXIST
	}
	name := comps[len(comps)-1]
	parent := "/" + strings.Join(comps[:len(comps)-1], "/")
	_, ploc, err := fs.resolve(parent)
	if err != nil {
		return nil, "", 0, err
	}
	var pc uint32
	if ploc != nil {
		if !ploc.IsDir() {
			return nil, "", 0, unix.ENOTDIR
		}
		pc = ploc.Cluster
	}
	d, err := fs.loadDir(fs.refOf(pc))
	if err != nil {
		return nil, "", 0, err
	}
	return d, name, pc, nil
}

// Create makes an empty regular file.
func (fs *FS) Create(path string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.writable(); err != nil {
		return err
	}
	d, name, _, err := fs.parentAndName(path)
	if err != nil {
		return err
	}
	if _, err := fs.find(d, name); err == nil {
		return unix.EEXIST
	}
	_, err = fs.addEntry(d, name, fs.newEntry(AttrArchive, 0))
	return err
}

// Mkdir makes a directory.
func (fs *FS) Mkdir(path string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.writable(); err != nil {
		return err
	}
	d, name, pc, err := fs.parentAndName(path)
	if err != nil {
		return err
	}
	if _, err := fs.find(d, name); err == nil {
		return unix.EEXIST
	}
	c, err := fs.allocCluster(0)
	if err != nil {
		return err
	}
	dot := fs.newEntry(AttrDirectory, c)
	copy(dot, ".          ")
	dotdot := fs.newEntry(AttrDirectory, 0)
	copy(dotdot, "..         ")
	if fs.fatType != 32 || pc != fs.rootCluster {
		fs.setCluster(dotdot, pc)
	}
	blk := make([]byte, 2*entrySize)
	copy(blk, dot)
	copy(blk[entrySize:], dotdot)
	if _, err := fs.wdev.WriteAt(blk, fs.clusterOff(c)); err != nil {
		return err
	}
	if _, err := fs.addEntry(d, name, fs.newEntry(AttrDirectory, c)); err != nil {
		fs.freeChain(c)
		return err
	}
	return nil
}

// deleteEntries marks a located entry's slots free.
func (fs *FS) deleteEntries(loc *located) error {
	for i := loc.lfnStart; i <= loc.short; i++ {
		loc.dir.buf[i*entrySize] = 0xE5
	}
	return fs.putEntries(loc.dir, loc.lfnStart, loc.short-loc.lfnStart+1)
}

func (fs *FS) dirIsEmpty(cluster uint32) (bool, error) {
	d, err := fs.loadDir(fs.refOf(cluster))
	if err != nil {
		return false, err
	}
	ents, err := fs.parseDir(d)
	if err != nil {
		return false, err
	}
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			return false, nil
		}
	}
	return true, nil
}

// Remove deletes a file or an empty directory.
func (fs *FS) Remove(path string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.writable(); err != nil {
		return err
	}
	_, loc, err := fs.resolve(path)
	if err != nil {
		return err
	}
	if loc == nil || loc.Name == "." || loc.Name == ".." {
		return unix.EBUSY
	}
	if loc.IsDir() {
		if empty, err := fs.dirIsEmpty(loc.Cluster); err != nil {
			return err
		} else if !empty {
			return unix.ENOTEMPTY
		}
	}
	if err := fs.deleteEntries(loc); err != nil {
		return err
	}
	return fs.freeChain(loc.Cluster)
}

// Rename moves oldPath to newPath, replacing a file or an empty directory
// there.
func (fs *FS) Rename(oldPath, newPath string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.writable(); err != nil {
		return err
	}
	_, src, err := fs.resolve(oldPath)
	if err != nil {
		return err
	}
	if src == nil || src.Name == "." || src.Name == ".." {
		return unix.EBUSY
	}
	nd, name, pc, err := fs.parentAndName(newPath)
	if err != nil {
		return err
	}
	if src.IsDir() {
		// Refuse to move a directory below itself.
		for c := pc; c != 0; {
			if c == src.Cluster {
				return unix.EINVAL
			}
			d, err := fs.loadDir(fs.refOf(c))
			if err != nil {
				return err
			}
			up, err := fs.find(d, "..")
			if err != nil || fs.fatType == 32 && up.Cluster == fs.rootCluster {
				break
			}
			c = up.Cluster
		}
	}
	if dst, err := fs.find(nd, name); err == nil {
		if dst.dir.ref == src.dir.ref && dst.short == src.short {
			if dst.Name == name {
				return nil
			}
		} else {
			switch {
			case src.IsDir() && !dst.IsDir():
				return unix.ENOTDIR
			case !src.IsDir() && dst.IsDir():
				return unix.EISDIR
			case dst.IsDir():
				if empty, err := fs.dirIsEmpty(dst.Cluster); err != nil {
					return err
				} else if !empty {
					return unix.ENOTEMPTY
				}
			}
			if err := fs.deleteEntries(dst); err != nil {
				return err
			}
			if err := fs.freeChain(dst.Cluster); err != nil {
				return err
			}
		}
	}
	if err := fs.canAdd(nd, name); err != nil {
		return err // fail before removing anything
	}
	tmpl := append([]byte(nil), src.dir.buf[src.short*entrySize:(src.short+1)*entrySize]...)
	if err := fs.deleteEntries(src); err != nil {
		return err
	}
	// Reload: the target directory may be the source directory.
	nd, err = fs.loadDir(nd.ref)
	if err != nil {
		return err
	}
	if _, err := fs.addEntry(nd, name, tmpl); err != nil {
		return err
	}
	if src.IsDir() && src.dir.ref != nd.ref {
		d, err := fs.loadDir(fs.refOf(src.Cluster))
		if err != nil {
			return err
		}
		up, err := fs.find(d, "..")
		if err != nil {
			return corrupt("directory at cluster %d has no '..'", src.Cluster)
		}
		e := d.buf[up.short*entrySize : (up.short+1)*entrySize]
		if fs.fatType == 32 && pc == fs.rootCluster {
			pc = 0
		}
		fs.setCluster(e, pc)
		return fs.putEntries(d, up.short, 1)
	}
	return nil
}

// SetTimes sets the modification time and access date of the entry at
// path (nil leaves a time as it is).
func (fs *FS) SetTimes(path string, mtime, atime *time.Time) error {
	return fs.changeEntry(path, func(e []byte) {
		if mtime != nil {
			d, t, _ := encodeDate(*mtime)
			binary.LittleEndian.PutUint16(e[22:], t)
			binary.LittleEndian.PutUint16(e[24:], d)
		}
		if atime != nil {
			d, _, _ := encodeDate(*atime)
			binary.LittleEndian.PutUint16(e[18:], d)
		}
	})
}

// SetReadOnly sets or clears the read-only attribute (FAT's one
// permission bit).
func (fs *FS) SetReadOnly(path string, ro bool) error {
	return fs.changeEntry(path, func(e []byte) {
		if ro {
			e[11] |= AttrReadOnly
		} else {
			e[11] &^= AttrReadOnly
		}
	})
}

func (fs *FS) changeEntry(path string, change func(e []byte)) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.writable(); err != nil {
		return err
	}
	_, loc, err := fs.resolve(path)
	if err != nil {
		return err
	}
	if loc == nil {
		return unix.EPERM // the root has no entry
	}
	change(loc.dir.buf[loc.short*entrySize : (loc.short+1)*entrySize])
	return fs.putEntries(loc.dir, loc.short, 1)
}
