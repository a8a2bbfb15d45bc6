package fat

import (
	"encoding/binary"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/sys/unix"
)

// Directory entry attributes.
const (
	AttrReadOnly  = 0x01
	AttrHidden    = 0x02
	AttrSystem    = 0x04
	AttrVolumeID  = 0x08
	AttrDirectory = 0x10
	AttrArchive   = 0x20
	attrLFN       = 0x0F

	entrySize  = 32
	lfnChars   = 13
	maxNameLen = 255

	ntLowerBase = 0x08
	ntLowerExt  = 0x10
)

// DirEntry is one directory entry.
type DirEntry struct {
	Name      string // the long name, or the short name if there is none
	ShortName string // the 8.3 name as stored ("README.TXT")
	Attr      uint8
	Cluster   uint32 // first cluster (0: empty file, or the root for "..")
	Size      uint32
	Mtime     time.Time
	Ctime     time.Time // creation time
	Atime     time.Time // access date
}

// IsDir reports whether the entry is a directory.
func (e *DirEntry) IsDir() bool { return e.Attr&AttrDirectory != 0 }

// dirRef names a directory: the fixed FAT12/16 root or a cluster chain.
type dirRef struct {
	fixedRoot bool
	first     uint32
}

func (fs *FS) rootRef() dirRef {
	if fs.fatType == 32 {
		return dirRef{first: fs.rootCluster}
	}
	return dirRef{fixedRoot: true}
}

// refOf returns the directory an entry's cluster names ("..": 0 is the
// root).
func (fs *FS) refOf(cluster uint32) dirRef {
	if cluster == 0 {
		return fs.rootRef()
	}
	return dirRef{first: cluster}
}

// dirData is a directory's entries loaded for reading or change.
type dirData struct {
	ref      dirRef
	buf      []byte
	clusters []uint32
}

func (fs *FS) loadDir(ref dirRef) (*dirData, error) {
	d := &dirData{ref: ref}
	if ref.fixedRoot {
		d.buf = make([]byte, fs.rootEntries*entrySize)
		if _, err := fs.dev.ReadAt(d.buf, fs.rootDirOff); err != nil {
			return nil, corrupt("reading the root directory: %v", err)
		}
		return d, nil
	}
	cs, err := fs.chain(ref.first)
	if err != nil {
		return nil, err
	}
	if len(cs)*fs.clusterSize > 1<<22 {
		return nil, corrupt("directory at cluster %d is %d clusters long", ref.first, len(cs))
	}
	d.clusters = cs
	d.buf = make([]byte, len(cs)*fs.clusterSize)
	for i, c := range cs {
		if _, err := fs.dev.ReadAt(d.buf[i*fs.clusterSize:(i+1)*fs.clusterSize], fs.clusterOff(c)); err != nil {
			return nil, corrupt("reading directory cluster %d: %v", c, err)
		}
	}
	return d, nil
}

// entryOff is the device offset of entry i.
func (fs *FS) entryOff(d *dirData, i int) int64 {
	if d.ref.fixedRoot {
		return fs.rootDirOff + int64(i)*entrySize
	}
	per := fs.clusterSize / entrySize
	return fs.clusterOff(d.clusters[i/per]) + int64(i%per)*entrySize
}

// putEntries writes entries [from, from+n) of d back.
func (fs *FS) putEntries(d *dirData, from, n int) error {
	for i := from; i < from+n; i++ {
		if _, err := fs.wdev.WriteAt(d.buf[i*entrySize:(i+1)*entrySize], fs.entryOff(d, i)); err != nil {
			return err
		}
	}
	return nil
}

// located is an entry with where it lives.
type located struct {
	DirEntry
	dir      *dirData
	lfnStart int // first slot (long-name entries), == short if none
	short    int // slot of the 8.3 entry
}

func lfnChecksum(short []byte) uint8 {
	var s uint8
	for _, c := range short[:11] {
		s = (s&1)<<7 + s>>1 + c
	}
	return s
}

// cp437 is the upper half of code page 437, the OEM code page short
// names use by default on Linux.
var cp437 = []rune("ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»" +
	"░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
	"αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0")

func oemString(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(cp437[c-0x80])
		}
	}
	return sb.String()
}

// shortParts decodes the base and extension of an 8.3 entry.
func shortParts(b []byte) (base, ext string) {
	raw := append([]byte(nil), b[:11]...)
	if raw[0] == 0x05 {
		raw[0] = 0xE5
	}
	base = oemString([]byte(strings.TrimRight(string(raw[:8]), " ")))
	ext = oemString([]byte(strings.TrimRight(string(raw[8:11]), " ")))
	return base, ext
}

// decodeShort is the name an entry without a long name shows, with the
// lower-case flags that Windows NT and Linux set applied.
func decodeShort(b []byte) string {
	base, ext := shortParts(b)
	if b[12]&ntLowerBase != 0 {
		base = strings.ToLower(base)
	}
	if b[12]&ntLowerExt != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// shortString is the 8.3 name as stored ("README.TXT").
func shortString(b []byte) string {
	base, ext := shortParts(b)
	if ext == "" {
		return base
	}
	return base + "." + ext
}

func decodeDate(d, t uint16, tenth uint8) time.Time {
	if d == 0 {
		return time.Time{}
	}
	sec := int(t&0x1F)*2 + int(tenth)/100
	ns := int(tenth) % 100 * 10_000_000
	return time.Date(1980+int(d>>9), time.Month(d>>5&0xF), int(d&0x1F), int(t>>11), int(t>>5&0x3F), sec, ns, time.UTC)
}

func encodeDate(t time.Time) (date, tm uint16, tenth uint8) {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if t.Year() > 2107 {
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tm = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	tenth = uint8(t.Second()%2*100 + t.Nanosecond()/10_000_000)
	return
}

// parseDir lists a loaded directory's entries (without volume labels).
func (fs *FS) parseDir(d *dirData) ([]located, error) {
	le := binary.LittleEndian
	var out []located
	var parts [][]uint16
	var want, sum uint8
	lfnStart := -1
	n := len(d.buf) / entrySize
	for i := 0; i < n; i++ {
		e := d.buf[i*entrySize : (i+1)*entrySize]
		if e[0] == 0x00 {
			break
		}
		if e[0] == 0xE5 {
			lfnStart = -1
			continue
		}
		if e[11]&0x3F == attrLFN {
			ord := e[0]
			if ord&0x40 != 0 {
				cnt := ord & 0x1F
				if cnt == 0 || cnt > 20 {
					lfnStart = -1
					continue
				}
				parts = make([][]uint16, cnt)
				want, sum, lfnStart = cnt, e[13], i
			} else if lfnStart < 0 || ord != want || e[13] != sum {
				lfnStart = -1
				continue
			}
			if lfnStart >= 0 {
				var u []uint16
				for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
					for k := r[0]; k < r[1]; k += 2 {
						u = append(u, le.Uint16(e[k:]))
					}
				}
				parts[want-1] = u
				want--
			}
			continue
		}
		if e[11]&AttrVolumeID != 0 {
			lfnStart = -1
			continue
		}
		loc := located{dir: d, lfnStart: i, short: i}
		loc.ShortName = shortString(e)
		loc.Name = decodeShort(e)
		if lfnStart >= 0 && want == 0 && lfnChecksum(e) == sum {
			var u []uint16
			for _, p := range parts {
				u = append(u, p...)
			}
			for k, c := range u {
				if c == 0 {
					u = u[:k]
					break
				}
			}
			if len(u) > 0 {
				loc.Name = string(utf16.Decode(u))
				loc.lfnStart = lfnStart
			}
		}
		lfnStart = -1
		loc.Attr = e[11]
		loc.Cluster = uint32(le.Uint16(e[26:]))
		if fs.fatType == 32 {
			loc.Cluster |= uint32(le.Uint16(e[20:])) << 16
		}
		loc.Size = le.Uint32(e[28:])
		loc.Ctime = decodeDate(le.Uint16(e[16:]), le.Uint16(e[14:]), e[13])
		loc.Mtime = decodeDate(le.Uint16(e[24:]), le.Uint16(e[22:]), 0)
		loc.Atime = decodeDate(le.Uint16(e[18:]), 0, 0)
		out = append(out, loc)
	}
	return out, nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// find looks name up (case-insensitively) in a loaded directory.
func (fs *FS) find(d *dirData, name string) (*located, error) {
	ents, err := fs.parseDir(d)
	if err != nil {
		return nil, err
	}
	for i := range ents {
		if strings.EqualFold(ents[i].Name, name) || strings.EqualFold(ents[i].ShortName, name) {
			return &ents[i], nil
		}
	}
	return nil, unix.ENOENT
}

// resolve walks path; it returns the directory holding the last
// component and that component's entry (nil entry for the root).
func (fs *FS) resolve(path string) (*dirData, *located, error) {
	comps := splitPath(path)
	d, err := fs.loadDir(fs.rootRef())
	if err != nil {
		return nil, nil, err
	}
	var cur *located
	for i, c := range comps {
		if c == ".." && cur == nil {
			continue // ".." of the root is the root
		}
		loc, err := fs.find(d, c)
		if err != nil {
			return nil, nil, err
		}
		if i == len(comps)-1 {
			return d, loc, nil
		}
		if !loc.IsDir() {
			return nil, nil, unix.ENOTDIR
		}
		if d, err = fs.loadDir(fs.refOf(loc.Cluster)); err != nil {
			return nil, nil, err
		}
		cur = loc
		if c == ".." && loc.Cluster == 0 {
			cur = nil
		}
	}
	return d, nil, nil
}

func (fs *FS) rootEntry() DirEntry {
	e := DirEntry{Name: "/", Attr: AttrDirectory}
	if fs.fatType == 32 {
		e.Cluster = fs.rootCluster
	}
	return e
}

// Stat returns the entry at path ("/" gives a synthetic root entry).
func (fs *FS) Stat(path string) (DirEntry, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	_, loc, err := fs.resolve(path)
	if err != nil {
		return DirEntry{}, err
	}
	if loc == nil {
		return fs.rootEntry(), nil
	}
	return loc.DirEntry, nil
}

// ReadDir lists the directory at path, without "." and "..".
func (fs *FS) ReadDir(path string) ([]DirEntry, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	d, err := fs.openDir(path)
	if err != nil {
		return nil, err
	}
	ents, err := fs.parseDir(d)
	if err != nil {
		return nil, err
	}
	var out []DirEntry
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			out = append(out, e.DirEntry)
		}
	}
	return out, nil
}

func (fs *FS) openDir(path string) (*dirData, error) {
	d, loc, err := fs.resolve(path)
	if err != nil {
		return nil, err
	}
	if loc == nil {
		return d, nil
	}
	if !loc.IsDir() {
		return nil, unix.ENOTDIR
	}
	return fs.loadDir(fs.refOf(loc.Cluster))
}
