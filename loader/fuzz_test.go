package loader

import (
	"bytes"
	"errors"
	"strings"
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

// FuzzBuildStack builds stacks from arbitrary strings: every accepted
// stack must read back as what went in, aligned.
func FuzzBuildStack(f *testing.F) {
	f.Add("prog\x00-x", "HOME=/\x00A=b", "/bin/prog", uint8(3))
	f.Add("", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, args, env, execfn string, naux uint8) {
		spec := testSpec()
		spec.Argv = strings.Split(args, "\x00")
		spec.Envv = nil
		if env != "" {
			spec.Envv = strings.Split(env, "\x00")
		}
		spec.ExecFn = strings.ReplaceAll(execfn, "\x00", "")
		spec.Auxv = spec.Auxv[:int(naux)%(len(spec.Auxv)+1)]
		st, err := BuildStack(0x7ffffffff000, spec)
		if err != nil {
			if !errors.Is(err, unix.E2BIG) {
				t.Fatal(err)
			}
			return
		}
		if st.SP%16 != 0 {
			t.Fatalf("sp %#x", st.SP)
		}
		ps := parseStack(t, st)
		if strings.Join(ps.argv, "\x00") != args || strings.Join(ps.envv, "\x00") != env {
			t.Fatalf("argv %q envv %q", ps.argv, ps.envv)
		}
	})
}
