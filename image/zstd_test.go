package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func zstdBytes(t *testing.T, data []byte) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

// TestZstdTarball builds from a zstd-compressed tarball and compares the
// result with the build from the same tarball uncompressed.
func TestZstdTarball(t *testing.T) {
	tool(t, "e2fsck")
	dir := t.TempDir()
	plain := makeTar(t, testTarEntries(), false)
	zst := zstdBytes(t, plain)
	if len(zst) >= len(plain) || zst[0] != 0x28 {
		t.Fatalf("compressed %d -> %d bytes", len(plain), len(zst))
	}
	var imgs []string
	for name, data := range map[string][]byte{"plain.tar": plain, "layer.tar.zst": zst} {
		src := filepath.Join(dir, name)
		os.WriteFile(src, data, 0o644)
		tree, err := OpenSource(src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img := src + ".img"
		if err := BuildFile(tree, img, Options{}); err != nil {
			t.Fatal(err)
		}
		tree.Close()
		fsck(t, img)
		imgs = append(imgs, img)
	}
	a, _ := os.ReadFile(imgs[0])
	b, _ := os.ReadFile(imgs[1])
	if string(a) != string(b) {
		t.Error("the zstd tarball's image differs from the plain tarball's")
	}
	e := openImage(t, imgs[1])
	f, err := e.OpenFile(mustWalk(t, e, "/etc/hostname"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ReadAll(); string(got) != "replaced\n" {
		t.Errorf("/etc/hostname = %q", got)
	}
	// A damaged zstd stream is an error, not a short tree.
	bad := append([]byte(nil), zst[:len(zst)/2]...)
	if tree, err := FromTar(bytes.NewReader(bad)); err == nil {
		tree.Close()
		t.Error("truncated zstd tarball accepted")
	}
}

// TestOCIZstdLayer reads an OCI layout whose upper layer is zstd.
func TestOCIZstdLayer(t *testing.T) {
	tool(t, "e2fsck")
	dir := t.TempDir()
	reg := func(name, data string) tarEntry {
		return tarEntry{h: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}, data: []byte(data)}
	}
	lower := writeBlob(t, dir, "application/vnd.oci.image.layer.v1.tar+gzip",
		makeTar(t, []tarEntry{reg("a", "lower"), reg("b", "b")}, true))
	upper := writeBlob(t, dir, "application/vnd.oci.image.layer.v1.tar+zstd",
		zstdBytes(t, makeTar(t, []tarEntry{reg("a", "upper"), reg(".wh.b", "")}, false)))
	cfg := writeBlob(t, dir, "application/vnd.oci.image.config.v1+json", []byte(`{"architecture":"amd64","os":"linux"}`))
	man, _ := json.Marshal(ociManifest{MediaType: mediaManifest, Config: cfg, Layers: []ociDescriptor{lower, upper}})
	md := writeBlob(t, dir, mediaManifest, man)
	idx, _ := json.Marshal(ociIndex{Manifests: []ociDescriptor{md}})
	os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	tree, err := OpenSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	img := filepath.Join(dir, "img")
	if err := BuildFile(tree, img, Options{}); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	e := openImage(t, img)
	f, _ := e.OpenFile(mustWalk(t, e, "/a"))
	if got, _ := f.ReadAll(); string(got) != "upper" {
		t.Errorf("/a = %q", got)
	}
	if _, err := e.Walk("/b", true); err == nil {
		t.Error("/b survived its whiteout in the zstd layer")
	}
}
