package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// writeBlob stores data in an OCI layout and returns its descriptor.
func writeBlob(t *testing.T, dir, mediaType string, data []byte) ociDescriptor {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", h), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return ociDescriptor{MediaType: mediaType, Digest: "sha256:" + h, Size: int64(len(data))}
}

func makeLayout(t *testing.T, layers ...[]tarEntry) string {
	dir := t.TempDir()
	var descs []ociDescriptor
	for _, l := range layers {
		descs = append(descs, writeBlob(t, dir, "application/vnd.oci.image.layer.v1.tar+gzip", makeTar(t, l, true)))
	}
	cfg := writeBlob(t, dir, "application/vnd.oci.image.config.v1+json", []byte(`{"architecture":"amd64","os":"linux"}`))
	man, _ := json.Marshal(ociManifest{MediaType: mediaManifest, Config: cfg, Layers: descs})
	md := writeBlob(t, dir, mediaManifest, man)
	md.Annotations = map[string]string{refNameAnnotaion: "latest"}
	idx, _ := json.Marshal(ociIndex{Manifests: []ociDescriptor{md}})
	os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	return dir
}

func TestOCILayoutWhiteouts(t *testing.T) {
	reg := func(name, data string) tarEntry {
		return tarEntry{h: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}, data: []byte(data)}
	}
	dirE := func(name string) tarEntry {
		return tarEntry{h: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}}
	}
	lower := []tarEntry{dirE("etc/"), reg("etc/a", "a"), reg("etc/b", "b"), dirE("opq/"), reg("opq/x", "x"),
		dirE("opq/sub/"), reg("opq/sub/y", "y"), reg("keep", "lower")}
	upper := []tarEntry{reg("etc/.wh.a", ""), dirE("opq/"), reg("opq/.wh..wh..opq", ""), reg("opq/z", "z"),
		reg("keep", "upper"), reg(".wh.nothing-here", "")}
	dir := makeLayout(t, lower, upper)
	for _, src := range []string{dir, dir + ":latest"} {
		tree, err := OpenSource(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		img := filepath.Join(t.TempDir(), "img")
		if err := BuildFile(tree, img, Options{}); err != nil {
			t.Fatal(err)
		}
		tree.Close()
		fsck(t, img)
		e := openImage(t, img)
		var names []string
		for _, d := range []string{"/", "/etc", "/opq"} {
			ents, err := e.ReadDir(mustWalk(t, e, d))
			if err != nil {
				t.Fatal(err)
			}
			for _, de := range ents {
				if de.Name != "." && de.Name != ".." && de.Name != "lost+found" {
					names = append(names, strings.TrimSuffix(d, "/")+"/"+de.Name)
				}
			}
		}
		sort.Strings(names)
		if got := strings.Join(names, " "); got != "/etc /etc/b /keep /opq /opq/z" {
			t.Errorf("tree after whiteouts: %s", got)
		}
		f, _ := e.OpenFile(mustWalk(t, e, "/keep"))
		if b, _ := f.ReadAll(); string(b) != "upper" {
			t.Errorf("/keep = %q", b)
		}
	}
	if _, err := OpenSource(dir + ":nope"); err == nil {
		t.Error("unknown ref accepted")
	}
	// A damaged blob is caught by its digest.
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); len(b) > 100 && b[0] == 0x1f {
				b[len(b)-10] ^= 0xFF
				os.WriteFile(p, b, 0o644)
			}
		}
		return nil
	})
	if _, err := FromOCILayout(dir, ""); err == nil {
		t.Error("damaged layer accepted")
	} else if !strings.Contains(err.Error(), "digest") && !errors.Is(err, errors.ErrUnsupported) {
		t.Logf("damaged layer: %v", err)
	}
}
