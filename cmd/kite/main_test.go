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
}
