package arch

import "testing"

func TestSyscallArgs(t *testing.T) {
	r := Registers{Orig_rax: 1, Rdi: 2, Rsi: 3, Rdx: 4, R10: 5, R8: 6, R9: 7, Rax: 99}
	nr, a := Syscall(&r)
	if nr != 1 || a != (SyscallArgs{2, 3, 4, 5, 6, 7}) {
		t.Fatalf("Syscall = %d %v", nr, a)
	}
	SetReturn(&r, ^uintptr(0))
	if Return(&r) != ^uintptr(0) || r.Rax != ^uint64(0) {
		t.Fatalf("SetReturn/Return round trip failed: %#x", r.Rax)
	}
	n := NewRegisters(0x401000, 0x7ffd0000)
	if n.Rip != 0x401000 || n.Rsp != 0x7ffd0000 || n.Cs != UserCS || n.Ss != UserDS || n.Rax != 0 {
		t.Fatalf("NewRegisters = %+v", n)
	}
}
