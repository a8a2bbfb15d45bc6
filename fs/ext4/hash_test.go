package ext4

import (
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDirHashMatchesDebugfs compares DirHash with e2fsprogs' dx_hash.
func TestDirHashMatchesDebugfs(t *testing.T) {
	debugfs := needTool(t, "debugfs")
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", img, "8M")
	uuid := "0b6c5e2a-2f1c-4d3b-9a8e-1c2d3e4f5a6b"
	var seed [4]uint32
	raw := strings.ReplaceAll(uuid, "-", "")
	for i := 0; i < 4; i++ {
		var b [4]byte
		for j := 0; j < 4; j++ {
			v, _ := strconv.ParseUint(raw[8*i+2*j:8*i+2*j+2], 16, 8)
			b[j] = byte(v)
		}
		seed[i] = binary.LittleEndian.Uint32(b[:])
	}
	names := []string{"a", "hello", "lost+found", "file-number-000123",
		strings.Repeat("x", 31), strings.Repeat("y", 32), strings.Repeat("z", 33), strings.Repeat("long", 60)}
	algs := map[string]uint8{"legacy": HashLegacy, "half_md4": HashHalfMD4, "tea": HashTea}
	re := regexp.MustCompile(`Hash of .* is 0x([0-9a-f]+) \(minor 0x([0-9a-f]+)\)`)
	for alg, v := range algs {
		for _, withSeed := range []bool{false, true} {
			for _, name := range names {
				args := []string{"dx_hash", "-h", alg}
				s := [4]uint32{}
				if withSeed {
					args = append(args, "-s", uuid)
					s = seed
				}
				args = append(args, name)
				out, err := exec.Command(debugfs, "-R", strings.Join(args, " "), img).CombinedOutput()
				m := re.FindStringSubmatch(string(out))
				if err != nil || m == nil {
					t.Fatalf("debugfs %v: %v\n%s", args, err, out)
				}
				wantH, _ := strconv.ParseUint(m[1], 16, 32)
				wantM, _ := strconv.ParseUint(m[2], 16, 32)
				h, mi, ok := DirHash([]byte(name), v, s)
				if !ok || h != uint32(wantH) || (v != HashLegacy && mi != uint32(wantM)) {
					t.Errorf("%s seed=%v %q: got %#x/%#x, want %#x/%#x", alg, withSeed, name, h, mi, wantH, wantM)
				}
			}
		}
	}
	if _, _, ok := DirHash([]byte("x"), HashSipHash, seed); ok {
		t.Error("siphash claimed")
	}
	_ = fmt.Sprint
}
