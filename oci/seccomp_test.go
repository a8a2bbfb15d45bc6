package oci

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/bpf"
)

func runFilter(prog []bpf.Instruction, arch uint32, nr uint32, args ...uint64) uint32 {
	data := make([]byte, bpf.SeccompDataSize)
	binary.LittleEndian.PutUint32(data, nr)
	binary.LittleEndian.PutUint32(data[4:], arch)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[16+8*i:], a)
	}
	return bpf.Run(prog, data, binary.LittleEndian)
}

func TestCompileSeccomp(t *testing.T) {
	eperm := uint(unix.EPERM)
	e9 := uint(9)
	s := &Seccomp{
		DefaultAction:   "SCMP_ACT_ERRNO",
		DefaultErrnoRet: &eperm,
		Syscalls: []Syscall{
			{Names: []string{"read", "write", "no_such_call"}, Action: "SCMP_ACT_ALLOW"},
			{Names: []string{"personality"}, Action: "SCMP_ACT_ALLOW", Args: []Arg{
				{Index: 0, Value: 0, Op: "SCMP_CMP_EQ"}, {Index: 0, Value: 8, Op: "SCMP_CMP_EQ"}}},
			{Names: []string{"clone"}, Action: "SCMP_ACT_ALLOW", Args: []Arg{
				{Index: 0, Value: 0x7e020000, ValueTwo: 0, Op: "SCMP_CMP_MASKED_EQ"}}},
			{Names: []string{"dup"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: &e9, Args: []Arg{
				{Index: 0, Value: 1 << 32, Op: "SCMP_CMP_GE"}, {Index: 1, Value: 5, Op: "SCMP_CMP_LT"}}},
			{Names: []string{"getpid"}, Action: "SCMP_ACT_KILL_PROCESS"},
		},
	}
	prog, err := CompileSeccomp(s)
	if err != nil {
		t.Fatal(err)
	}
	const x86 = unix.AUDIT_ARCH_X86_64
	allow, deny := uint32(unix.SECCOMP_RET_ALLOW), uint32(unix.SECCOMP_RET_ERRNO|unix.EPERM)
	cases := []struct {
		name string
		arch uint32
		nr   uint32
		args []uint64
		want uint32
	}{
		{"read", x86, unix.SYS_READ, nil, allow},
		{"write", x86, unix.SYS_WRITE, nil, allow},
		{"open", x86, unix.SYS_OPEN, nil, deny},
		{"i386", unix.AUDIT_ARCH_I386, unix.SYS_READ, nil, unix.SECCOMP_RET_KILL_THREAD},
		{"x32", x86, unix.SYS_READ | 0x40000000, nil, unix.SECCOMP_RET_KILL_THREAD},
		{"personality 0", x86, unix.SYS_PERSONALITY, []uint64{0}, allow},
		{"personality 8", x86, unix.SYS_PERSONALITY, []uint64{8}, allow},
		{"personality 8<<32", x86, unix.SYS_PERSONALITY, []uint64{8 << 32}, deny},
		{"personality 1", x86, unix.SYS_PERSONALITY, []uint64{1}, deny},
		{"clone plain", x86, unix.SYS_CLONE, []uint64{uint64(unix.SIGCHLD)}, allow},
		{"clone newuser", x86, unix.SYS_CLONE, []uint64{unix.CLONE_NEWUSER}, deny},
		{"dup both", x86, unix.SYS_DUP, []uint64{1 << 32, 4}, unix.SECCOMP_RET_ERRNO | 9},
		{"dup low", x86, unix.SYS_DUP, []uint64{1<<32 - 1, 4}, deny},
		{"dup arg1 5", x86, unix.SYS_DUP, []uint64{2 << 32, 5}, deny},
		{"getpid", x86, unix.SYS_GETPID, nil, unix.SECCOMP_RET_KILL_PROCESS},
	}
	for _, c := range cases {
		if got := runFilter(prog, c.arch, c.nr, c.args...); got != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, got, c.want)
		}
	}
}
