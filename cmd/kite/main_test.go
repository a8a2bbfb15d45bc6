package main

import "testing"

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
