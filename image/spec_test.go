package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kite-os/kite/fs/ext4"
)

// exampleSpec is the example of docs/image-spec.md, with a base tarball
// the test writes.
const exampleSpec = `# A small root file system.
label = "demo"
time = 1700000000

[[layer]]
source = "base.tar.zst"

[[group]]
name = "app"
gid = 1000

[[user]]
name = "app"
uid = 1000
group = "app"
groups = ["users"]

[[dir]]
path = "/srv/data"
mode = "0750"
owner = "app"

[[file]]
path = "/etc/motd"
content = "hello from kite\n"

[[file]]
path = "/srv/data/notes.txt"
source = "notes.txt"
owner = "app:users"
mode = 0o600

[[symlink]]
path = "/bin/sh"
target = "busybox"

[[link]]
path = "/etc/motd.hard"
target = "/etc/motd"

[[program]]
source = "/usr/bin/env"

[config]
cmd = ["/usr/bin/env"]
env = ["PATH=/usr/bin:/bin", "GREETING=hi"]
workdir = "/srv"
`

func writeSpecDir(t *testing.T) string {
	dir := t.TempDir()
	reg := func(name, data string, mode int64) tarEntry {
		return tarEntry{h: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode}, data: []byte(data)}
	}
	base := makeTar(t, []tarEntry{
		{h: tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}},
		reg("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nold:x:5:5::/:/bin/false\n", 0o644),
		reg("etc/group", "root:x:0:\nusers:x:100:someone\n", 0o644),
		reg("etc/shadow", "root:*::0:99999:7:::\n", 0o640),
		reg("etc/motd", "old motd\n", 0o644),
	}, false)
	os.WriteFile(filepath.Join(dir, "base.tar.zst"), zstdBytes(t, base), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("notes\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "spec.toml"), []byte(exampleSpec), 0o644)
	return dir
}

func buildSpec(t *testing.T, dir, out string) {
	t.Helper()
	spec, err := LoadSpec(filepath.Join(dir, "spec.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := spec.Tree(0)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if err := BuildFile(tree, out, spec.Options(0)); err != nil {
		t.Fatal(err)
	}
}

func TestSpecExample(t *testing.T) {
	tool(t, "e2fsck")
	dir := writeSpecDir(t)
	a, b := filepath.Join(dir, "a.img"), filepath.Join(dir, "b.img")
	buildSpec(t, dir, a)
	// The host file's time must not matter.
	os.Chtimes(filepath.Join(dir, "notes.txt"), time.Unix(1500000000, 0), time.Unix(1500000000, 0))
	buildSpec(t, dir, b)
	fsck(t, a)
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Error("two builds of one spec differ")
	}
	e := openImage(t, a)
	if e.Label() != "demo" {
		t.Errorf("label %q", e.Label())
	}
	read := func(p string) string {
		f, err := e.OpenFile(mustWalk(t, e, p))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := f.ReadAll()
		return string(data)
	}
	want := map[string]string{
		"/etc/passwd":         "root:x:0:0:root:/root:/bin/sh\nold:x:5:5::/:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n",
		"/etc/group":          "root:x:0:\nusers:x:100:someone,app\napp:x:1000:\n",
		"/etc/shadow":         "root:*::0:99999:7:::\napp:!::0:99999:7:::\n",
		"/etc/motd":           "hello from kite\n",
		"/etc/motd.hard":      "hello from kite\n",
		"/srv/data/notes.txt": "notes\n",
		ConfigPath: "# The default command and environment of this image (kite image build).\n" +
			"cmd = [\"/usr/bin/env\"]\nenv = [\"PATH=/usr/bin:/bin\", \"GREETING=hi\"]\nworkdir = \"/srv\"\n",
	}
	for p, w := range want {
		if got := read(p); got != w {
			t.Errorf("%s = %q, want %q", p, got, w)
		}
	}
	cfg, err := ParseConfig([]byte(read(ConfigPath)))
	if err != nil || strings.Join(cfg.Cmd, " ") != "/usr/bin/env" || cfg.Workdir != "/srv" || len(cfg.Env) != 2 {
		t.Errorf("config %+v, %v", cfg, err)
	}
	st := func(p string) (mode, uid, gid uint32, nlink uint16) {
		in, err := e.Stat(mustWalk(t, e, p))
		if err != nil {
			t.Fatal(err)
		}
		return uint32(in.Mode), in.UID, in.GID, uint16(in.Nlink)
	}
	if m, u, g, _ := st("/srv/data"); m&0o7777 != 0o750 || u != 1000 || g != 1000 {
		t.Errorf("/srv/data %o %d:%d", m, u, g)
	}
	if m, u, g, _ := st("/srv/data/notes.txt"); m&0o7777 != 0o600 || u != 1000 || g != 100 {
		t.Errorf("notes.txt %o %d:%d", m, u, g)
	}
	if m, _, g, _ := st("/etc/shadow"); m&0o7777 != 0o640 || g != 0 {
		t.Errorf("/etc/shadow mode %o kept?", m)
	}
	if _, u, _, _ := st("/home/app"); u != 1000 {
		t.Errorf("/home/app owner %d", u)
	}
	if _, _, _, n := st("/etc/motd"); n != 2 {
		t.Errorf("/etc/motd nlink %d", n)
	}
	if tgt, _ := e.Readlink(mustWalk(t, e, "/bin/sh")); tgt != "busybox" {
		t.Errorf("/bin/sh -> %q", tgt)
	}
	if in, err := e.Stat(mustWalk(t, e, "/usr/bin/env")); err != nil || in.Size == 0 {
		t.Errorf("/usr/bin/env not copied: %v", err)
	}
}

func TestSpecErrors(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"label = \"x\"\nsize = \n", "s.toml:2: "},
		{"label = \"x\"\n\n[[file]]\npath = \"/a\"\n", "s.toml:3: [[file]] /a: give exactly one of content and source"},
		{"[[file]]\npath = \"/a\"\ncontent = \"\"\n[[file]]\npath = \"/b\"\nsource = \"x\"\ncontent = \"y\"\n", "s.toml:4: "},
		{"[[dir]]\npath = \"/d\"\nmode = \"99\"\n", "s.toml:3: "},
		{"size = \"12Q\"\n", "s.toml:1: bad size"},
		{"\n[config]\ncmd = \"x\"\n", "s.toml:3: config.cmd: incompatible types"},
		{"\n[[symlink]]\npath = \"/x\"\ntargte = \"y\"\n", "s.toml:4: unknown key \"symlink.targte\""},
		{"[[user]]\nname = \"a:b\"\nuid = 1\n", "s.toml:1: [[user]] needs a valid name"},
		{"[config]\nenv = [\"A=b\"]\n", "[config] needs a cmd"},
		{"[config]\n\ncmd = [\"sh\"]\n", "s.toml:3: [config] cmd \"sh\": the program must be an absolute path"},
		{"[[dir]]\npath = \"../../x\"\n", "s.toml:1: [[dir]] path \"../../x\" is not absolute"},
		{"[[dir]]\npath = \"/a/xxxxxxxxxx\"\n[[dir]]\npath = \"/\"\nmode=1\n[[dir]]\npath = \"/\" \n[[dir]]\npath = \"/" + strings.Repeat("x", 256) + "\"\n", "s.toml:8: [[dir]] path: image: bad path component"},
	} {
		_, err := ParseSpec([]byte(c.spec), "s.toml", ".")
		var se *SpecError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.spec, err, c.want)
		}
	}
	// Errors while building name the line of the table too.
	spec, err := ParseSpec([]byte("[[dir]]\npath = \"/d\"\n\n[[file]]\npath = \"/f\"\ncontent = \"\"\nowner = \"nobody\"\n"), "s.toml", ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spec.Tree(0); err == nil || !strings.Contains(err.Error(), "s.toml:4: owner \"nobody\"") {
		t.Errorf("unknown owner: %v", err)
	}
}

// TestSpecMergedUsrLayers: a directory layer with merged-/usr symlinks
// (/lib -> usr/lib), an OCI layout layered over it, and a host program
// whose libraries land through the symlinks instead of replacing them.
func TestSpecMergedUsrLayers(t *testing.T) {
	tool(t, "e2fsck")
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	for _, d := range []string{"usr/lib/x86_64-linux-gnu", "usr/lib64", "usr/bin", "etc"} {
		os.MkdirAll(filepath.Join(base, d), 0o755)
	}
	os.Symlink("usr/lib", filepath.Join(base, "lib"))
	os.Symlink("usr/lib64", filepath.Join(base, "lib64"))
	os.WriteFile(filepath.Join(base, "etc/os-release"), []byte("ID=base\n"), 0o644)
	reg := func(name, data string) tarEntry {
		return tarEntry{h: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}, data: []byte(data)}
	}
	oci := makeLayout(t, []tarEntry{reg("etc/os-release", "ID=oci\n"), reg("etc/extra", "x")},
		[]tarEntry{reg("etc/.wh.extra", "")})
	spec := "[[layer]]\nsource = \"base\"\n\n[[layer]]\nsource = \"" + oci + ":latest\"\n\n[[program]]\nsource = \"/usr/bin/env\"\n"
	os.WriteFile(filepath.Join(dir, "spec.toml"), []byte(spec), 0o644)
	img := filepath.Join(dir, "img")
	buildSpec(t, dir, img)
	fsck(t, img)
	e := openImage(t, img)
	for _, p := range []string{"/lib", "/lib64"} {
		in, err := e.Stat(mustWalk(t, e, p))
		if err != nil || in.Type() != ext4.ModeLnk {
			t.Errorf("%s is no longer a symlink: %+v %v", p, in, err)
		}
	}
	if _, err := e.Walk("/usr/lib64/ld-linux-x86-64.so.2", true); err != nil {
		t.Errorf("interpreter not under /usr/lib64: %v", err)
	}
	if _, err := e.Walk("/usr/lib/x86_64-linux-gnu/libc.so.6", true); err != nil {
		t.Errorf("libc not under /usr/lib: %v", err)
	}
	f, _ := e.OpenFile(mustWalk(t, e, "/etc/os-release"))
	if got, _ := f.ReadAll(); string(got) != "ID=oci\n" {
		t.Errorf("/etc/os-release = %q", got)
	}
	if _, err := e.Walk("/etc/extra", true); err == nil {
		t.Error("/etc/extra survived its whiteout")
	}
}
