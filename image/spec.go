package image

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"golang.org/x/sys/unix"
)

// ConfigPath is where a spec's [config] (default command, environment,
// working directory) is stored inside the image, as TOML.
const ConfigPath = "/etc/kite/config.toml"

// Config is the default command and environment of an image.
type Config struct {
	// Cmd is the program and its arguments; Cmd[0] is an absolute path
	// inside the image.
	Cmd []string `toml:"cmd"`
	// Env holds "NAME=value" entries.
	Env []string `toml:"env,omitempty"`
	// Workdir is the initial working directory.
	Workdir string `toml:"workdir,omitempty"`
}

// ParseConfig reads a Config stored at ConfigPath.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return nil, fmt.Errorf("image config: unknown key %q", u[0].String())
	}
	return &c, nil
}

// Spec is a parsed image spec (see doc.go for the format).
type Spec struct {
	Size  string `toml:"size"`
	Label string `toml:"label"`
	UUID  string `toml:"uuid"`
	// Time is the time (seconds since 1970) given to the file system and
	// to every file the spec itself creates; default SOURCE_DATE_EPOCH
	// or 0, set by the caller.
	Time *int64 `toml:"time"`

	Layers   []SpecLayer   `toml:"layer"`
	Groups   []SpecGroup   `toml:"group"`
	Users    []SpecUser    `toml:"user"`
	Dirs     []SpecDir     `toml:"dir"`
	Files    []SpecFile    `toml:"file"`
	Symlinks []SpecSymlink `toml:"symlink"`
	Links    []SpecLink    `toml:"link"`
	Programs []SpecProgram `toml:"program"`
	Config   *Config       `toml:"config"`

	name string // the spec's file name, for messages
	base string // relative host paths are relative to this directory
	text string
}

// SpecLayer is a base layer: a host directory, a tarball (plain, gzip or
// zstd) or an OCI image layout ("DIR" or "DIR:REF").
type SpecLayer struct {
	Source string `toml:"source"`
}

// SpecGroup is an /etc/group entry.
type SpecGroup struct {
	Name    string   `toml:"name"`
	GID     *uint32  `toml:"gid"`
	Members []string `toml:"members"`
}

// SpecUser is an /etc/passwd entry (and a locked /etc/shadow entry when
// the image has /etc/shadow).
type SpecUser struct {
	Name   string   `toml:"name"`
	UID    *uint32  `toml:"uid"`
	GID    *uint32  `toml:"gid"`
	Group  string   `toml:"group"`  // primary group by name, instead of gid
	Groups []string `toml:"groups"` // supplementary groups
	Home   string   `toml:"home"`
	Shell  string   `toml:"shell"`
	Gecos  string   `toml:"gecos"`
	// NoCreateHome leaves the home directory out.
	NoCreateHome bool `toml:"no_create_home"`
}

// SpecMode is a permission mode: an integer (0o755) or an octal string
// ("0755").
type SpecMode struct {
	Set bool
	V   uint32
}

// UnmarshalTOML implements toml.Unmarshaler.
func (m *SpecMode) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 || x > 0o7777 {
			return fmt.Errorf("mode %#o out of range", x)
		}
		m.Set, m.V = true, uint32(x)
	case string:
		n, err := strconv.ParseUint(x, 8, 32)
		if err != nil || n > 0o7777 {
			return fmt.Errorf("bad mode %q (want octal such as \"0644\")", x)
		}
		m.Set, m.V = true, uint32(n)
	default:
		return fmt.Errorf("bad mode %v (want an integer or an octal string)", v)
	}
	return nil
}

// SpecDir is a directory.
type SpecDir struct {
	Path  string   `toml:"path"`
	Mode  SpecMode `toml:"mode"`
	Owner string   `toml:"owner"` // "USER[:GROUP]", names or numbers
}

// SpecFile is a regular file with inline content or a host source.
type SpecFile struct {
	Path    string   `toml:"path"`
	Mode    SpecMode `toml:"mode"`
	Owner   string   `toml:"owner"`
	Content *string  `toml:"content"`
	Source  string   `toml:"source"`
}

// SpecSymlink is a symbolic link.
type SpecSymlink struct {
	Path   string `toml:"path"`
	Target string `toml:"target"`
	Owner  string `toml:"owner"`
}

// SpecLink is a hard link to a non-directory already in the tree.
type SpecLink struct {
	Path   string `toml:"path"`
	Target string `toml:"target"`
}

// SpecProgram is a host program copied in with its shared libraries.
type SpecProgram struct {
	Source string `toml:"source"`
	Path   string `toml:"path"` // default: Source
}

// SpecError is an error at a line of a spec.
type SpecError struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *SpecError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadSpec reads and checks the spec file at p. Relative host paths in it
// are relative to its directory.
func LoadSpec(p string) (*Spec, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return ParseSpec(data, p, filepath.Dir(p))
}

// ParseSpec parses spec text; name is used in messages and base is the
// directory relative host paths start from.
func ParseSpec(data []byte, name, base string) (*Spec, error) {
	s := &Spec{name: name, base: base, text: string(data)}
	md, err := toml.Decode(s.text, s)
	if err != nil {
		var pe toml.ParseError
		var ppe *toml.ParseError
		if errors.As(err, &pe) {
			return nil, &SpecError{File: name, Line: pe.Position.Line, Msg: pe.Message}
		}
		if errors.As(err, &ppe) {
			return nil, &SpecError{File: name, Line: ppe.Position.Line, Msg: ppe.Message}
		}
		if m := decodeErrRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &SpecError{File: name, Line: line, Msg: m[2] + ": " + m[3]}
		}
		return nil, &SpecError{File: name, Msg: err.Error()}
	}
	if u := md.Undecoded(); len(u) > 0 {
		k := u[0]
		return nil, s.errAt(s.keyLine(k[len(k)-1]), "unknown key %q", k.String())
	}
	return s, s.check()
}

// decodeErrRE matches the decoder's type errors, which are not
// toml.ParseError values.
var decodeErrRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

var headerRE = regexp.MustCompile(`(?m)^[ \t]*\[\[[ \t]*([a-z_]+)[ \t]*\]\]`)

// headerLine returns the line of the idx-th [[kind]] table.
func (s *Spec) headerLine(kind string, idx int) int {
	n := 0
	for _, m := range headerRE.FindAllStringSubmatchIndex(s.text, -1) {
		if s.text[m[2]:m[3]] == kind {
			if n == idx {
				return 1 + strings.Count(s.text[:m[0]], "\n")
			}
			n++
		}
	}
	return 0
}

// keyLine returns the first line that sets key.
func (s *Spec) keyLine(key string) int {
	re := regexp.MustCompile(`(?m)^[ \t]*"?` + regexp.QuoteMeta(key) + `"?[ \t]*=`)
	if loc := re.FindStringIndex(s.text); loc != nil {
		return 1 + strings.Count(s.text[:loc[0]], "\n")
	}
	return 0
}

func (s *Spec) errAt(line int, format string, a ...any) error {
	return &SpecError{File: s.name, Line: line, Msg: fmt.Sprintf(format, a...)}
}

// check validates what the decoder cannot.
func (s *Spec) check() error {
	if s.Size != "" {
		if _, err := ParseSize(s.Size); err != nil {
			return s.errAt(s.keyLine("size"), "%v", err)
		}
	}
	if len(s.Label) > 16 {
		return s.errAt(s.keyLine("label"), "label %q is longer than 16 bytes", s.Label)
	}
	if s.UUID != "" {
		if _, err := ParseUUID(s.UUID); err != nil {
			return s.errAt(s.keyLine("uuid"), "%v", err)
		}
	}
	needPath := func(kind string, i int, p string) error {
		if p == "" {
			return s.errAt(s.headerLine(kind, i), "[[%s]] needs a path", kind)
		}
		if !strings.HasPrefix(p, "/") {
			return s.errAt(s.headerLine(kind, i), "[[%s]] path %q is not absolute", kind, p)
		}
		if _, err := cleanPath(p); err != nil {
			return s.errAt(s.headerLine(kind, i), "[[%s]] path: %v", kind, err)
		}
		return nil
	}
	for i, l := range s.Layers {
		if l.Source == "" {
			return s.errAt(s.headerLine("layer", i), "[[layer]] needs a source")
		}
	}
	for i, g := range s.Groups {
		if !validName(g.Name) || g.GID == nil {
			return s.errAt(s.headerLine("group", i), "[[group]] needs a valid name and a gid")
		}
	}
	for i, u := range s.Users {
		if !validName(u.Name) || u.UID == nil {
			return s.errAt(s.headerLine("user", i), "[[user]] needs a valid name and a uid")
		}
		if u.GID != nil && u.Group != "" {
			return s.errAt(s.headerLine("user", i), "[[user]] %s: give gid or group, not both", u.Name)
		}
		if strings.ContainsAny(u.Gecos+u.Home+u.Shell, ":\n") {
			return s.errAt(s.headerLine("user", i), "[[user]] %s: ':' or a newline in a field", u.Name)
		}
	}
	for i, d := range s.Dirs {
		if err := needPath("dir", i, d.Path); err != nil {
			return err
		}
	}
	for i, f := range s.Files {
		if err := needPath("file", i, f.Path); err != nil {
			return err
		}
		if (f.Content == nil) == (f.Source == "") {
			return s.errAt(s.headerLine("file", i), "[[file]] %s: give exactly one of content and source", f.Path)
		}
	}
	for i, l := range s.Symlinks {
		if err := needPath("symlink", i, l.Path); err != nil {
			return err
		}
		if l.Target == "" {
			return s.errAt(s.headerLine("symlink", i), "[[symlink]] %s needs a target", l.Path)
		}
	}
	for i, l := range s.Links {
		if err := needPath("link", i, l.Path); err != nil {
			return err
		}
		if l.Target == "" {
			return s.errAt(s.headerLine("link", i), "[[link]] %s needs a target", l.Path)
		}
	}
	for i, p := range s.Programs {
		if p.Source == "" {
			return s.errAt(s.headerLine("program", i), "[[program]] needs a source")
		}
	}
	if s.Config != nil && len(s.Config.Cmd) == 0 {
		return s.errAt(s.keyLine("cmd"), "[config] needs a cmd")
	}
	if s.Config != nil && !strings.HasPrefix(s.Config.Cmd[0], "/") {
		return s.errAt(s.keyLine("cmd"), "[config] cmd %q: the program must be an absolute path", s.Config.Cmd[0])
	}
	if s.Config != nil && s.Config.Workdir != "" && !strings.HasPrefix(s.Config.Workdir, "/") {
		return s.errAt(s.keyLine("workdir"), "[config] workdir %q is not absolute", s.Config.Workdir)
	}
	return nil
}

func validName(n string) bool {
	return n != "" && len(n) <= 32 && !strings.ContainsAny(n, ":\n, /") && n[0] != '-'
}

// Options returns the build options the spec sets (Size, Label, UUID,
// Time); time is the default for Time.
func (s *Spec) Options(defaultTime int64) Options {
	var o Options
	o.Size, _ = ParseSize(s.Size)
	if s.Size == "" {
		o.Size = 0
	}
	o.Label = s.Label
	if s.UUID != "" {
		o.UUID, _ = ParseUUID(s.UUID)
	}
	o.Time = s.timeOr(defaultTime)
	return o
}

func (s *Spec) timeOr(def int64) int64 {
	if s.Time != nil {
		return *s.Time
	}
	return def
}

func (s *Spec) hostPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.base, p)
}

// Tree builds the spec's tree: the layers in order, then groups, users
// (with their home directories), directories, files, symlinks, hard
// links, programs and the config. defaultTime is used when the spec sets
// no time.
func (s *Spec) Tree(defaultTime int64) (*Tree, error) {
	t := NewTree()
	if err := s.fill(t, defaultTime); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (s *Spec) fill(t *Tree, defaultTime int64) error {
	mt := unix.Timespec{Sec: s.timeOr(defaultTime)}
	for i, l := range s.Layers {
		if err := t.applySource(s.hostPath(l.Source)); err != nil {
			return s.errAt(s.headerLine("layer", i), "layer %s: %v", l.Source, err)
		}
	}
	if len(s.Groups) > 0 || len(s.Users) > 0 {
		if err := s.addAccounts(t, mt); err != nil {
			return err
		}
	}
	ids, err := readIDs(t)
	if err != nil {
		return err
	}
	owner := func(kind string, i int, o string) (uint32, uint32, error) {
		u, g, err := ids.owner(o)
		if err != nil {
			return 0, 0, s.errAt(s.headerLine(kind, i), "owner %q: %v", o, err)
		}
		return u, g, nil
	}
	for i, d := range s.Dirs {
		uid, gid, err := owner("dir", i, d.Owner)
		if err != nil {
			return err
		}
		mode := uint32(0o755)
		if d.Mode.Set {
			mode = d.Mode.V
		}
		if err := t.Add(d.Path, &Node{Mode: unix.S_IFDIR | mode, UID: uid, GID: gid, Atime: mt, Mtime: mt}); err != nil {
			return s.errAt(s.headerLine("dir", i), "%v", err)
		}
	}
	for i, f := range s.Files {
		uid, gid, err := owner("file", i, f.Owner)
		if err != nil {
			return err
		}
		mode := uint32(0o644)
		if f.Mode.Set {
			mode = f.Mode.V
		}
		n := &Node{Mode: unix.S_IFREG | mode, UID: uid, GID: gid, Atime: mt, Mtime: mt}
		if f.Content != nil {
			n.data.bytes = []byte(*f.Content)
			n.Size = int64(len(*f.Content))
		} else {
			hp := s.hostPath(f.Source)
			fi, err := os.Stat(hp)
			if err != nil {
				return s.errAt(s.headerLine("file", i), "source: %v", err)
			}
			if !fi.Mode().IsRegular() {
				return s.errAt(s.headerLine("file", i), "source %s is not a regular file", f.Source)
			}
			if !f.Mode.Set {
				n.Mode = unix.S_IFREG | uint32(fi.Mode().Perm())
			}
			n.data.path, n.Size = hp, fi.Size()
		}
		if err := t.Add(f.Path, n); err != nil {
			return s.errAt(s.headerLine("file", i), "%v", err)
		}
	}
	for i, l := range s.Symlinks {
		uid, gid, err := owner("symlink", i, l.Owner)
		if err != nil {
			return err
		}
		n := &Node{Mode: unix.S_IFLNK | 0o777, UID: uid, GID: gid, Atime: mt, Mtime: mt, Target: l.Target}
		if err := t.Add(l.Path, n); err != nil {
			return s.errAt(s.headerLine("symlink", i), "%v", err)
		}
	}
	for i, l := range s.Links {
		if err := t.Link(l.Path, l.Target); err != nil {
			return s.errAt(s.headerLine("link", i), "%v", err)
		}
	}
	for i, p := range s.Programs {
		dest := p.Path
		if dest == "" {
			dest = p.Source
		}
		if _, err := t.AddHostProgram(s.hostPath(p.Source), dest); err != nil {
			return s.errAt(s.headerLine("program", i), "program %s: %v", p.Source, err)
		}
	}
	if s.Config != nil {
		var buf bytes.Buffer
		buf.WriteString("# The default command and environment of this image (kite image build).\n")
		if err := toml.NewEncoder(&buf).Encode(s.Config); err != nil {
			return err
		}
		if err := t.AddBytes(ConfigPath, buf.Bytes(), 0o644, 0, 0, mt); err != nil {
			return err
		}
	}
	return nil
}

// applySource lays a host directory, tarball or OCI layout over the tree:
// a tarball as a layer (with whiteouts), the others entry by entry.
func (t *Tree) applySource(src string) error {
	fi, err := os.Stat(src)
	if err == nil && fi.Mode().IsRegular() {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		return t.ApplyLayer(f)
	}
	sub, err := OpenSource(src)
	if err != nil {
		return err
	}
	t.others = append(t.others, sub)
	mergeDir(t.Root, sub.Root)
	return nil
}

// mergeDir lays src's entries over dst's; directories merge, other
// entries replace. dst takes src's attributes.
func mergeDir(dst, src *Node) {
	dst.Mode, dst.UID, dst.GID, dst.Atime, dst.Mtime, dst.Xattrs = src.Mode, src.UID, src.GID, src.Atime, src.Mtime, src.Xattrs
	for name, c := range src.children {
		if old, ok := dst.children[name]; ok && old.Type() == unix.S_IFDIR && c.Type() == unix.S_IFDIR {
			mergeDir(old, c)
			continue
		}
		dst.children[name] = c
	}
}

// contents reads a regular file node's bytes.
func (n *Node) contents() ([]byte, error) {
	switch {
	case n.data.path != "":
		return os.ReadFile(n.data.path)
	case n.data.spool != nil:
		b := make([]byte, n.Size)
		if _, err := n.data.spool.ReadAt(b, n.data.off); err != nil && err != io.EOF {
			return nil, err
		}
		return b, nil
	}
	return n.data.bytes, nil
}

// readTextFile returns the lines of a regular file in the tree (none if
// it is missing) and its node.
func readTextFile(t *Tree, p string) ([]string, *Node, error) {
	n, err := t.Get(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if n.Type() != unix.S_IFREG {
		return nil, nil, fmt.Errorf("image: %s is not a regular file", p)
	}
	b, err := n.contents()
	if err != nil {
		return nil, nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, n, nil
}

// writeTextFile replaces the file at p with lines, keeping the old
// node's owner and mode (or 0644 root for a new file).
func writeTextFile(t *Tree, p string, old *Node, lines []string, mt unix.Timespec) error {
	data := []byte(strings.Join(lines, "\n") + "\n")
	mode, uid, gid := uint32(0o644), uint32(0), uint32(0)
	if old != nil {
		mode, uid, gid = old.Mode&0o7777, old.UID, old.GID
	}
	return t.AddBytes(p, data, mode, uid, gid, mt)
}

// setEntry replaces the line for name (first field) or appends one.
func setEntry(lines []string, name, line string) []string {
	for i, l := range lines {
		if f, _, _ := strings.Cut(l, ":"); f == name {
			lines[i] = line
			return lines
		}
	}
	return append(lines, line)
}

func entryFields(lines []string, name string) []string {
	for _, l := range lines {
		if f := strings.Split(l, ":"); f[0] == name {
			return f
		}
	}
	return nil
}

// addAccounts merges the spec's groups and users into /etc/group,
// /etc/passwd and (if present) /etc/shadow, and makes home directories.
func (s *Spec) addAccounts(t *Tree, mt unix.Timespec) error {
	groups, gnode, err := readTextFile(t, "/etc/group")
	if err != nil {
		return err
	}
	passwd, pnode, err := readTextFile(t, "/etc/passwd")
	if err != nil {
		return err
	}
	shadow, snode, err := readTextFile(t, "/etc/shadow")
	if err != nil {
		return err
	}
	gidOf := func(name string) (uint32, bool) {
		f := entryFields(groups, name)
		if len(f) < 3 {
			return 0, false
		}
		v, err := strconv.ParseUint(f[2], 10, 32)
		return uint32(v), err == nil
	}
	addMember := func(group, user string) bool {
		for i, l := range groups {
			f := strings.Split(l, ":")
			if f[0] != group || len(f) < 4 {
				continue
			}
			members := []string{}
			if f[3] != "" {
				members = strings.Split(f[3], ",")
			}
			for _, m := range members {
				if m == user {
					return true
				}
			}
			f[3] = strings.Join(append(members, user), ",")
			groups[i] = strings.Join(f, ":")
			return true
		}
		return false
	}
	for _, g := range s.Groups {
		groups = setEntry(groups, g.Name, fmt.Sprintf("%s:x:%d:%s", g.Name, *g.GID, strings.Join(g.Members, ",")))
	}
	for i, u := range s.Users {
		line := s.headerLine("user", i)
		gid := *u.UID
		switch {
		case u.GID != nil:
			gid = *u.GID
		case u.Group != "":
			g, ok := gidOf(u.Group)
			if !ok {
				return s.errAt(line, "user %s: no group %q", u.Name, u.Group)
			}
			gid = g
		default:
			// A personal group, as useradd makes, unless one exists.
			if _, ok := gidOf(u.Name); !ok {
				groups = setEntry(groups, u.Name, fmt.Sprintf("%s:x:%d:", u.Name, gid))
			} else {
				gid, _ = gidOf(u.Name)
			}
		}
		for _, g := range u.Groups {
			if !addMember(g, u.Name) {
				return s.errAt(line, "user %s: no group %q", u.Name, g)
			}
		}
		home := u.Home
		if home == "" {
			home = "/home/" + u.Name
			if *u.UID == 0 {
				home = "/root"
			}
		}
		shell := u.Shell
		if shell == "" {
			shell = "/bin/sh"
		}
		passwd = setEntry(passwd, u.Name, fmt.Sprintf("%s:x:%d:%d:%s:%s:%s", u.Name, *u.UID, gid, u.Gecos, home, shell))
		if snode != nil {
			shadow = setEntry(shadow, u.Name, u.Name+":!::0:99999:7:::")
		}
		if !u.NoCreateHome {
			if n, err := t.Get(home); err != nil || n.Type() != unix.S_IFDIR {
				if err := t.Add(home, &Node{Mode: unix.S_IFDIR | 0o755, UID: *u.UID, GID: gid, Atime: mt, Mtime: mt}); err != nil {
					return s.errAt(line, "user %s: home: %v", u.Name, err)
				}
			}
		}
	}
	if err := writeTextFile(t, "/etc/group", gnode, groups, mt); err != nil {
		return err
	}
	if err := writeTextFile(t, "/etc/passwd", pnode, passwd, mt); err != nil {
		return err
	}
	if snode != nil {
		return writeTextFile(t, "/etc/shadow", snode, shadow, mt)
	}
	return nil
}

// idMaps resolves user and group names through the tree's files.
type idMaps struct {
	users, groups map[string][2]uint32 // name -> id, primary gid
}

func readIDs(t *Tree) (*idMaps, error) {
	m := &idMaps{users: map[string][2]uint32{}, groups: map[string][2]uint32{}}
	for _, f := range []struct {
		path string
		dst  map[string][2]uint32
	}{{"/etc/passwd", m.users}, {"/etc/group", m.groups}} {
		lines, _, err := readTextFile(t, f.path)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			fl := strings.Split(l, ":")
			if len(fl) < 4 {
				continue
			}
			id, err1 := strconv.ParseUint(fl[2], 10, 32)
			g, err2 := strconv.ParseUint(fl[3], 10, 32)
			if err1 != nil {
				continue
			}
			if err2 != nil {
				g = 0
			}
			f.dst[fl[0]] = [2]uint32{uint32(id), uint32(g)}
		}
	}
	return m, nil
}

// owner parses "USER[:GROUP]" (names or numbers; empty is root). A user
// given alone brings its primary group.
func (m *idMaps) owner(s string) (uid, gid uint32, err error) {
	if s == "" {
		return 0, 0, nil
	}
	us, gs, hasGroup := strings.Cut(s, ":")
	if v, err := strconv.ParseUint(us, 10, 32); err == nil {
		uid, gid = uint32(v), uint32(v)
	} else if e, ok := m.users[us]; ok {
		uid, gid = e[0], e[1]
	} else {
		return 0, 0, fmt.Errorf("no user %q in /etc/passwd", us)
	}
	if hasGroup {
		if v, err := strconv.ParseUint(gs, 10, 32); err == nil {
			gid = uint32(v)
		} else if e, ok := m.groups[gs]; ok {
			gid = e[0]
		} else {
			return 0, 0, fmt.Errorf("no group %q in /etc/group", gs)
		}
	}
	return uid, gid, nil
}
