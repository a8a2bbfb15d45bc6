package syscalls

import (
	"testing"

	"github.com/kite-os/kite/abi/linux"
)

func TestTableEntriesAreUniqueAndNamed(t *testing.T) {
	seen := map[uintptr]bool{}
	for _, e := range registered {
		if e.nr >= uintptr(len(linux.SyscallNames)) || linux.SyscallNames[e.nr] == "" {
			t.Errorf("handler registered for unknown syscall %d", e.nr)
		}
		if seen[e.nr] {
			t.Errorf("syscall %s registered twice", linux.SyscallNames[e.nr])
		}
		seen[e.nr] = true
		if e.fn == nil && e.support != 0 {
			t.Errorf("syscall %s marked %v without a handler", linux.SyscallNames[e.nr], e.support)
		}
	}
	tab := NewTable()
	if e, ok := tab.Lookup(0); !ok || e.Name != "read" {
		t.Errorf("entry 0 = %+v, want read", e)
	}
	if _, ok := tab.Lookup(100000); ok {
		t.Errorf("Lookup of an out-of-range number succeeded")
	}
}
