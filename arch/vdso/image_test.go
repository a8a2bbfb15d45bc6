package vdso

import (
	"bytes"
	"debug/elf"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The image is what C libraries and the Go runtime look for: a shared
// object with versioned dynamic symbols, both hash tables, no
// relocations and one read-only executable segment.
func TestImage(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(Image))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != elf.ET_DYN || f.Machine != elf.EM_X86_64 {
		t.Fatalf("type %v machine %v", f.Type, f.Machine)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			have[s.Name] = s.Version
		}
	}
	for _, name := range []string{"clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres"} {
		for _, n := range []string{name, "__vdso_" + name} {
			if v, ok := have[n]; !ok || v != "LINUX_2.6" {
				t.Errorf("symbol %s: present %v version %q", n, ok, v)
			}
		}
	}
	for _, tag := range []elf.DynTag{elf.DT_HASH, elf.DT_GNU_HASH, elf.DT_VERSYM, elf.DT_VERDEF} {
		if v, err := f.DynValue(tag); err != nil || len(v) == 0 {
			t.Errorf("no %v (%v)", tag, err)
		}
	}
	if so, _ := f.DynString(elf.DT_SONAME); len(so) != 1 || so[0] != "linux-vdso.so.1" {
		t.Errorf("soname %q", so)
	}
	loads := 0
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loads++
			if p.Flags&elf.PF_W != 0 || p.Vaddr != 0 {
				t.Errorf("segment %+v", p.ProgHeader)
			}
		}
	}
	if loads != 1 {
		t.Errorf("%d PT_LOAD segments", loads)
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_REL || s.Type == elf.SHT_RELA {
			t.Errorf("relocation section %s", s.Name)
		}
	}
}

// c/vvar.h is generated from layout.go: it must say what layout.go says.
func TestHeaderMatchesLayout(t *testing.T) {
	b, err := os.ReadFile("c/vvar.h")
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	for name, v := range map[string]int{
		"VV_SEQ": WordSeq, "VV_MODE": WordMode, "VV_TSC_BASE": WordTSCBase,
		"VV_MULT": WordMult, "VV_MONO_NS": WordMonoNS, "VV_MONO_FRAC": WordMonoFrac,
		"VV_REALTIME_OFF": WordRealtimeOff, "VV_BOOTTIME_OFF": WordBoottimeOff,
		"VV_TAI_OFF": WordTAIOff, "VV_RAW_OFF": WordRawOff, "VV_RES_HRES": WordResHres,
		"VV_RES_COARSE": WordResCoarse, "VV_WORDS": Words, "VV_MODE_TSC": ModeTSC,
		"VV_MULT_SHIFT": MultShift,
	} {
		if want := "#define " + name + " " + strconv.Itoa(v) + "\n"; !strings.Contains(h, want) {
			t.Errorf("c/vvar.h lacks %q: run go generate ./arch/vdso", want)
		}
	}
}
