package loader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// parsedStack is what a program's startup code sees on its initial stack.
type parsedStack struct {
	argv, envv []string
	auxv       []AuxEntry
}

// parseStack reads an initial stack back the way a C runtime does,
// checking every pointer lands inside [sp, top).
func parseStack(t *testing.T, st *Stack) parsedStack {
	t.Helper()
	base := uint64(st.SP)
	data := st.Data
	word := func(addr uint64) uint64 {
		t.Helper()
		if addr < base || addr+8 > base+uint64(len(data)) {
			t.Fatalf("word at %#x outside stack [%#x, %#x)", addr, base, base+uint64(len(data)))
		}
		return binary.LittleEndian.Uint64(data[addr-base:])
	}
	str := func(addr uint64) string {
		t.Helper()
		if addr < base || addr >= base+uint64(len(data)) {
			t.Fatalf("string at %#x outside stack", addr)
		}
		s := data[addr-base:]
		i := bytes.IndexByte(s, 0)
		if i < 0 {
			t.Fatalf("string at %#x not terminated", addr)
		}
		return string(s[:i])
	}
	var ps parsedStack
	a := base
	argc := word(a)
	a += 8
	for i := uint64(0); i < argc; i++ {
		ps.argv = append(ps.argv, str(word(a)))
		a += 8
	}
	if word(a) != 0 {
		t.Fatalf("argv not NULL-terminated")
	}
	a += 8
	for ; word(a) != 0; a += 8 {
		ps.envv = append(ps.envv, str(word(a)))
	}
	a += 8
	for {
		e := AuxEntry{word(a), word(a + 8)}
		a += 16
		ps.auxv = append(ps.auxv, e)
		if e.Type == AT_NULL {
			break
		}
	}
	return ps
}

func auxVal(auxv []AuxEntry, typ uint64) (uint64, bool) {
	for _, a := range auxv {
		if a.Type == typ {
			return a.Val, true
		}
	}
	return 0, false
}

func testSpec() StackSpec {
	var r [16]byte
	for i := range r {
		r[i] = byte(0xa0 + i)
	}
	return StackSpec{
		Argv:     []string{"/bin/prog", "-x", "", "arg with spaces"},
		Envv:     []string{"HOME=/root", "PATH=/bin:/usr/bin"},
		ExecFn:   "/bin/prog",
		Platform: "x86_64",
		Random:   r,
		Auxv: []AuxEntry{
			{AT_PAGESZ, PageSize},
			{AT_ENTRY, 0x401000},
			{AT_RANDOM, 0},
			{AT_EXECFN, 0},
			{AT_PLATFORM, 0},
		},
	}
}

func TestBuildStackRoundTrip(t *testing.T) {
	const top = 0x7ffffffff000
	spec := testSpec()
	st, err := BuildStack(top, spec)
	if err != nil {
		t.Fatal(err)
	}
	if st.SP%16 != 0 {
		t.Fatalf("sp %#x not 16-byte aligned", st.SP)
	}
	if uint64(len(st.Data)) != uint64(top-st.SP) || st.Top != top {
		t.Fatalf("data length %d, sp %#x", len(st.Data), st.SP)
	}
	ps := parseStack(t, st)
	if !reflect.DeepEqual(ps.argv, spec.Argv) || !reflect.DeepEqual(ps.envv, spec.Envv) {
		t.Fatalf("argv %q envv %q", ps.argv, ps.envv)
	}
	if !reflect.DeepEqual(ps.auxv, st.Auxv) {
		t.Fatalf("auxv on stack %v, reported %v", ps.auxv, st.Auxv)
	}
	if len(ps.auxv) != len(spec.Auxv)+1 {
		t.Fatalf("auxv has %d entries", len(ps.auxv))
	}
	at := func(addr uint64) []byte { return st.Data[addr-uint64(st.SP):] }
	if v, _ := auxVal(ps.auxv, AT_PAGESZ); v != PageSize {
		t.Fatalf("AT_PAGESZ = %d", v)
	}
	rnd, _ := auxVal(ps.auxv, AT_RANDOM)
	if !bytes.Equal(at(rnd)[:16], spec.Random[:]) {
		t.Fatalf("AT_RANDOM bytes %x", at(rnd)[:16])
	}
	plat, _ := auxVal(ps.auxv, AT_PLATFORM)
	if string(at(plat)[:7]) != "x86_64\x00" {
		t.Fatalf("AT_PLATFORM %q", at(plat)[:7])
	}
	fn, _ := auxVal(ps.auxv, AT_EXECFN)
	if string(at(fn)[:len(spec.ExecFn)+1]) != spec.ExecFn+"\x00" {
		t.Fatalf("AT_EXECFN %q", at(fn)[:10])
	}

	// Linux's layout: zero top word, execfn just below it, envp strings
	// below that, argv strings lowest, all contiguous.
	if !bytes.Equal(st.Data[len(st.Data)-8:], make([]byte, 8)) {
		t.Fatalf("top word not zero")
	}
	if fn != top-8-uint64(len(spec.ExecFn)+1) {
		t.Fatalf("execfn at %#x", fn)
	}
	if uint64(st.EnvEnd) != fn {
		t.Fatalf("EnvEnd %#x, execfn %#x", st.EnvEnd, fn)
	}
	strs := func(l []string) string { return strings.Join(l, "\x00") + "\x00" }
	if got := string(at(uint64(st.EnvStart))[:st.EnvEnd-st.EnvStart]); got != strs(spec.Envv) {
		t.Fatalf("env area %q", got)
	}
	if st.ArgEnd != st.EnvStart {
		t.Fatalf("ArgEnd %#x != EnvStart %#x", st.ArgEnd, st.EnvStart)
	}
	if got := string(at(uint64(st.ArgStart))[:st.ArgEnd-st.ArgStart]); got != strs(spec.Argv) {
		t.Fatalf("arg area %q", got)
	}
	// The platform string sits at the 16-byte aligned point below the
	// argv strings, the random bytes right under it.
	if plat != (uint64(st.ArgStart)&^15)-7 || rnd != plat-16 {
		t.Fatalf("platform at %#x, random at %#x, args at %#x", plat, rnd, st.ArgStart)
	}
	// The auxv ends at most 15 bytes of padding below the random bytes.
	words := uint64(1+len(spec.Argv)+1+len(spec.Envv)+1) + 2*uint64(len(st.Auxv))
	if end := uint64(st.SP) + 8*words; end > rnd || rnd-end >= 16 {
		t.Fatalf("vectors end at %#x, random bytes at %#x", end, rnd)
	}
}

func TestBuildStackEmptyArgv(t *testing.T) {
	spec := testSpec()
	spec.Argv = nil
	spec.Envv = nil
	spec.Platform = ""
	st, err := BuildStack(0x10000000, spec)
	if err != nil {
		t.Fatal(err)
	}
	ps := parseStack(t, st)
	if !reflect.DeepEqual(ps.argv, []string{""}) || len(ps.envv) != 0 {
		t.Fatalf("argv %q envv %q", ps.argv, ps.envv)
	}
	if v, ok := auxVal(ps.auxv, AT_PLATFORM); !ok || v != 0 {
		t.Fatalf("AT_PLATFORM = %#x, %v", v, ok)
	}
}

func TestBuildStackAlignment(t *testing.T) {
	// Every combination of string lengths mod 16 must still give an
	// aligned sp and a readable stack.
	for n := 0; n < 40; n++ {
		spec := testSpec()
		spec.Argv = []string{strings.Repeat("a", n)}
		spec.Envv = spec.Envv[:n%3]
		st, err := BuildStack(0x7ffffffff000, spec)
		if err != nil {
			t.Fatal(err)
		}
		if st.SP%16 != 0 {
			t.Fatalf("n=%d: sp %#x", n, st.SP)
		}
		if ps := parseStack(t, st); ps.argv[0] != spec.Argv[0] {
			t.Fatalf("n=%d: argv %q", n, ps.argv)
		}
	}
}

func TestBuildStackE2BIG(t *testing.T) {
	isE2BIG := func(err error) bool { return errors.Is(err, unix.E2BIG) }

	spec := testSpec()
	spec.Argv = []string{strings.Repeat("x", MaxArgStrlen-1)}
	if _, err := BuildStack(0x7ffffffff000, spec); err != nil {
		t.Fatalf("longest string refused: %v", err)
	}
	spec.Argv = []string{strings.Repeat("x", MaxArgStrlen)}
	if _, err := BuildStack(0x7ffffffff000, spec); !isE2BIG(err) {
		t.Fatalf("too long string: %v", err)
	}

	spec = testSpec()
	spec.ArgLimit = MinArgLimit
	spec.Envv = nil
	spec.Argv = []string{strings.Repeat("y", 60000), strings.Repeat("y", 60000), strings.Repeat("y", 20000)}
	if _, err := BuildStack(0x7ffffffff000, spec); !isE2BIG(err) {
		t.Fatalf("over the limit: %v", err)
	}
	spec.Argv = spec.Argv[:2]
	if _, err := BuildStack(0x7ffffffff000, spec); err != nil {
		t.Fatalf("under the limit: %v", err)
	}

	spec.Argv = make([]string, MinArgLimit/8)
	if _, err := BuildStack(0x7ffffffff000, spec); !isE2BIG(err) {
		t.Fatalf("too many pointers: %v", err)
	}
}

func TestArgLimit(t *testing.T) {
	for _, c := range []struct{ rlim, want uint64 }{
		{8 << 20, 2 << 20},
		{64 << 20, 6 << 20},         // capped at 3/4 of _STK_LIM
		{1 << 16, MinArgLimit},      // at least ARG_MAX
		{^uint64(0), 6 << 20},       // RLIM_INFINITY
		{1 << 20, MinArgLimit << 1}, // 256 KiB
	} {
		if got := ArgLimit(c.rlim); got != c.want {
			t.Errorf("ArgLimit(%#x) = %#x, want %#x", c.rlim, got, c.want)
		}
	}
}

// TestBuildStackMatchesLinux compares offsets from the stack top with
// those a program measured on Linux 6.18 (setarch -R, env -i A=1 BB=22
// /opt/kitetest/sp one two, 22 auxv entries before AT_NULL).
func TestBuildStackMatchesLinux(t *testing.T) {
	const top = 0x7ffffffff000
	auxv := []AuxEntry{{AT_SYSINFO_EHDR, 0x7ffff7fc1000}, {AT_MINSIGSTKSZ, 3632}, {AT_HWCAP, 1}, {AT_PAGESZ, 4096},
		{AT_CLKTCK, 100}, {AT_PHDR, 0x400040}, {AT_PHENT, 56}, {AT_PHNUM, 6}, {AT_BASE, 0}, {AT_FLAGS, 0},
		{AT_ENTRY, 0x401000}, {AT_UID, 0}, {AT_EUID, 0}, {AT_GID, 0}, {AT_EGID, 0}, {AT_SECURE, 0},
		{AT_RANDOM, 0}, {AT_HWCAP2, 2}, {AT_EXECFN, 0}, {AT_PLATFORM, 0}, {AT_RSEQ_FEATURE_SIZE, 28}, {AT_RSEQ_ALIGN, 32}}
	st, err := BuildStack(top, StackSpec{
		Argv:     []string{"/opt/kitetest/sp", "one", "two"},
		Envv:     []string{"A=1", "BB=22"},
		ExecFn:   "/opt/kitetest/sp",
		Platform: "x86_64",
		Auxv:     auxv,
	})
	if err != nil {
		t.Fatal(err)
	}
	off := func(addr uint64) uint64 { return top - addr }
	rnd, _ := auxVal(st.Auxv, AT_RANDOM)
	fn, _ := auxVal(st.Auxv, AT_EXECFN)
	plat, _ := auxVal(st.Auxv, AT_PLATFORM)
	got := []uint64{off(uint64(st.SP)), off(uint64(st.ArgStart)), off(uint64(st.EnvStart)), off(rnd), off(fn), off(plat)}
	want := []uint64{0x210, 0x3c, 0x23, 0x57, 0x19, 0x47}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("offsets from top (sp, argv[0], envp[0], AT_RANDOM, AT_EXECFN, AT_PLATFORM) = %#x, want %#x", got, want)
	}
}
