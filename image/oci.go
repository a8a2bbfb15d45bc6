package image

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// OCI image layout media types this package reads.
const (
	mediaIndex       = "application/vnd.oci.image.index.v1+json"
	mediaManifest    = "application/vnd.oci.image.manifest.v1+json"
	mediaDockerList  = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaDockerMan   = "application/vnd.docker.distribution.manifest.v2+json"
	refNameAnnotaion = "org.opencontainers.image.ref.name"
)

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
	} `json:"platform"`
}

type ociIndex struct {
	MediaType string          `json:"mediaType"`
	Manifests []ociDescriptor `json:"manifests"`
}

type ociManifest struct {
	MediaType string          `json:"mediaType"`
	Config    ociDescriptor   `json:"config"`
	Layers    []ociDescriptor `json:"layers"`
}

// IsOCILayout reports whether dir is an OCI image layout.
func IsOCILayout(dir string) bool {
	_, err1 := os.Stat(filepath.Join(dir, "oci-layout"))
	_, err2 := os.Stat(filepath.Join(dir, "index.json"))
	return err1 == nil && err2 == nil
}

// blob opens a content-addressed blob, checking its digest as it is read.
func openBlob(dir string, d ociDescriptor) (*verifiedBlob, error) {
	algo, hexd, ok := strings.Cut(d.Digest, ":")
	if !ok || algo != "sha256" || len(hexd) != 64 || strings.ContainsAny(hexd, "/.") {
		return nil, fmt.Errorf("image: OCI digest %q: only sha256 is supported", d.Digest)
	}
	f, err := os.Open(filepath.Join(dir, "blobs", "sha256", hexd))
	if err != nil {
		return nil, fmt.Errorf("image: OCI blob: %w", err)
	}
	return &verifiedBlob{f: f, h: sha256.New(), want: hexd}, nil
}

type verifiedBlob struct {
	f *os.File
	h interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
	want string
	done bool
}

func (b *verifiedBlob) Read(p []byte) (int, error) {
	n, err := b.f.Read(p)
	b.h.Write(p[:n])
	if err == io.EOF && !b.done {
		b.done = true
		if got := hex.EncodeToString(b.h.Sum(nil)); got != b.want {
			return n, fmt.Errorf("image: OCI blob sha256:%s has digest sha256:%s", b.want, got)
		}
	}
	return n, err
}

func (b *verifiedBlob) Close() error { return b.f.Close() }

func readJSONBlob(dir string, d ociDescriptor, v any) error {
	b, err := openBlob(dir, d)
	if err != nil {
		return err
	}
	defer b.Close()
	data, err := io.ReadAll(io.LimitReader(b, 4<<20))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("image: OCI %s: %w", d.Digest, err)
	}
	return nil
}

// pickManifest chooses the manifest for ref (or the only one) from an
// index, descending into nested indexes and preferring linux/amd64.
func pickManifest(dir string, idx ociIndex, ref string) (ociDescriptor, error) {
	var cands []ociDescriptor
	for _, m := range idx.Manifests {
		if ref == "" || m.Annotations[refNameAnnotaion] == ref {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		return ociDescriptor{}, fmt.Errorf("image: OCI layout has no image %q", ref)
	}
	var best *ociDescriptor
	for i, m := range cands {
		if m.Platform == nil || m.Platform.OS == "linux" && m.Platform.Architecture == "amd64" {
			best = &cands[i]
			break
		}
	}
	if best == nil {
		return ociDescriptor{}, errors.New("image: OCI index has no linux/amd64 image")
	}
	if len(cands) > 1 && ref == "" && cands[0].Platform == nil {
		return ociDescriptor{}, errors.New("image: OCI layout holds several images: name one")
	}
	switch best.MediaType {
	case mediaIndex, mediaDockerList:
		var sub ociIndex
		if err := readJSONBlob(dir, *best, &sub); err != nil {
			return ociDescriptor{}, err
		}
		return pickManifest(dir, sub, "")
	}
	return *best, nil
}

// FromOCILayout builds a tree from the image ref (or the only image) of
// the OCI image layout in dir, applying its layers in order with their
// whiteouts. Layers may be plain, gzip or zstd tarballs.
func FromOCILayout(dir, ref string) (*Tree, error) {
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	var idx ociIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("image: OCI index.json: %w", err)
	}
	md, err := pickManifest(dir, idx, ref)
	if err != nil {
		return nil, err
	}
	var man ociManifest
	if err := readJSONBlob(dir, md, &man); err != nil {
		return nil, err
	}
	t := NewTree()
	for _, l := range man.Layers {
		b, err := openBlob(dir, l)
		if err != nil {
			t.Close()
			return nil, err
		}
		err = t.ApplyLayer(b)
		if err == nil {
			// Drain the rest (tar padding) so the digest is checked.
			_, err = io.Copy(io.Discard, b)
		}
		b.Close()
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("image: layer %s: %w", l.Digest, err)
		}
	}
	return t, nil
}
