package hostfs

import "testing"

func FuzzParseDirents(f *testing.F) {
	rec := make([]byte, 24)
	rec[16] = 24
	copy(rec[19:], "ab")
	f.Add(rec)
	f.Add([]byte{})
	f.Add(make([]byte, 19))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range parseDirents(b, nil) {
			if e.Name == "." || e.Name == ".." {
				t.Fatal("dot entry returned")
			}
			for i := 0; i < len(e.Name); i++ {
				if e.Name[i] == 0 {
					t.Fatal("NUL in name")
				}
			}
		}
	})
}
