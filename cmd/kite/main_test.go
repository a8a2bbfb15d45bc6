package main

import (
	"strings"
	"testing"
)

func TestDispatchErrors(t *testing.T) {
	if got := dispatch(nil); got != 2 {
		t.Errorf("no args: status %d, want 2", got)
	}
	if got := dispatch([]string{"no-such-verb"}); got != 2 {
		t.Errorf("unknown verb: status %d, want 2", got)
	}
	if got := dispatch([]string{"version", "--bogus"}); got != 2 {
		t.Errorf("bad flag: status %d, want 2", got)
	}
	if got := dispatch([]string{"version"}); got != 0 {
		t.Errorf("version: status %d, want 0", got)
	}
}

func TestParseRunFlags(t *testing.T) {
	var sink strings.Builder
	if _, st := parseRunFlags([]string{"--bogus", "--", "/bin/true"}, &sink); st != 2 {
		t.Errorf("unknown flag: status %d, want 2", st)
	}
	if _, st := parseRunFlags([]string{"--strace"}, &sink); st != 2 {
		t.Errorf("missing program: status %d, want 2", st)
	}
	if _, st := parseRunFlags([]string{"--platform", "kvm", "/bin/true"}, &sink); st != 2 {
		t.Errorf("unknown platform: status %d, want 2", st)
	}
	o, st := parseRunFlags([]string{"--rootfs", "/srv", "--strace", "--", "/bin/echo", "-n", "x"}, &sink)
	if st != -1 || o.rootfs != "/srv" || !o.strace || strings.Join(o.argv, " ") != "/bin/echo -n x" {
		t.Errorf("parse = %+v, %d", o, st)
	}
	if n := strings.Count(sink.String(), "\n"); n != 3 {
		t.Errorf("want one line per error, got:\n%s", sink.String())
	}
	// The vDSO is on unless --vdso=false.
	for args, off := range map[string]bool{"": false, "--vdso": false, "--vdso=true": false, "--vdso=false": true} {
		argv := append(strings.Fields(args), "/bin/true")
		if o, st := parseRunFlags(argv, &sink); st != -1 || o.noVDSO != off {
			t.Errorf("%q: noVDSO %v, status %d", args, o.noVDSO, st)
		}
	}
}

func TestParseMemorySize(t *testing.T) {
	for s, want := range map[string]uint64{"16M": 16 << 20, "64m": 64 << 20, "2G": 2 << 30, "1GiB": 1 << 30, "33554432": 32 << 20} {
		if got, err := parseMemorySize(s); err != nil || got != want {
			t.Errorf("parseMemorySize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "15M", "1K", "x", "-1G", "99999999999T"} {
		if got, err := parseMemorySize(s); err == nil {
			t.Errorf("parseMemorySize(%q) = %d, want an error", s, got)
		}
	}
}
