package syscalls

import (
	"testing"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/kernel"
)

func TestTableEntriesAreNamedAndConsistent(t *testing.T) {
	for nr, e := range table {
		name := linux.SyscallNames[nr]
		if name == "" && (e.fn != nil || e.note != "") {
			t.Errorf("entry %d has a handler or note but Linux defines no such syscall", nr)
		}
		if e.fn == nil && e.support != kernel.Unimplemented {
			t.Errorf("syscall %s marked %v without a handler", name, e.support)
		}
		if e.fn != nil && e.support == kernel.Unimplemented {
			t.Errorf("syscall %s has a handler but is marked unimplemented", name)
		}
		if e.support == kernel.Partial && e.note == "" {
			t.Errorf("syscall %s is partial without a note saying what it lacks", name)
		}
	}
	tab := NewTable()
	if e, ok := tab.Lookup(0); !ok || e.Name != "read" || e.Fn == nil {
		t.Errorf("entry 0 = %+v, want read with a handler", e)
	}
	if _, ok := tab.Lookup(100000); ok {
		t.Errorf("Lookup of an out-of-range number succeeded")
	}
}
