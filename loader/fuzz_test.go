package loader

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, must fail
// only with ENOEXEC (the reader never fails), and what it accepts must obey
// the invariants Load relies on.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"static", "static-pie", "dynamic"} {
		b := readTestdata(f, name)
		f.Add(b)
		f.Add(b[:PageSize])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, unix.ENOEXEC) {
				t.Fatalf("error %v is not ENOEXEC", err)
			}
			return
		}
		if len(e.Loads) == 0 {
			t.Fatal("accepted without PT_LOAD")
		}
		var prevEnd uint64
		for i, s := range e.Loads {
			if s.Filesz > s.Memsz || s.Memsz == 0 {
				t.Fatalf("segment %d: %+v", i, s)
			}
			if s.End() > TaskSize || s.End() < s.Vaddr {
				t.Fatalf("segment %d beyond TaskSize: %+v", i, s)
			}
			if s.Offset+s.Filesz > uint64(len(b)) || s.Offset+s.Filesz < s.Offset {
				t.Fatalf("segment %d beyond EOF: %+v", i, s)
			}
			if s.Offset%PageSize != s.Vaddr%PageSize {
				t.Fatalf("segment %d incongruent: %+v", i, s)
			}
			if i > 0 && s.Vaddr < prevEnd {
				t.Fatalf("segment %d overlaps: %+v", i, s)
			}
			prevEnd = s.End()
		}
		if e.Entry >= TaskSize || len(e.Interp) >= PathMax {
			t.Fatalf("accepted %+v", e)
		}
	})
}
