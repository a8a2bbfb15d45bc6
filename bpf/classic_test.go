package bpf

import (
	"encoding/binary"
	"testing"
)

func TestRunArithmeticAndJumps(t *testing.T) {
	prog := []Instruction{
		Stmt(LD|W|ABS, 0),  // A = word 0
		Stmt(ALU|MUL|K, 3), // A *= 3
		Stmt(ST, 1),        // M[1] = A
		Stmt(LDX|IMM, 4),   // X = 4
		Stmt(ALU|SUB|X, 0), // A -= X
		Jump(JMP|JGT|K, 10, 0, 1),
		Stmt(RET|A, 0),
		Stmt(LD|MEM, 1),
		Stmt(RET|A, 0),
	}
	if err := Check(prog); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 8)
	for _, c := range []struct{ in, want uint32 }{{5, 11}, {4, 12}, {2, 6}, {1, 0xffffffff}} {
		binary.LittleEndian.PutUint32(data, c.in)
		if got := Run(prog, data, binary.LittleEndian); got != c.want {
			t.Errorf("Run(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestRunPacketLoads(t *testing.T) {
	data := []byte{0x45, 0, 0, 0x14, 9, 8, 7, 6}
	prog := []Instruction{Stmt(LDX|B|MSH, 0), Stmt(LD|H|IND, 0), Stmt(RET|A, 0)}
	if err := Check(prog); err != nil {
		t.Fatal(err)
	}
	// X = 4*(0x45&0xf) = 20: past the data, so the program returns 0.
	if got := Run(prog, data, binary.BigEndian); got != 0 {
		t.Errorf("out-of-range load = %d, want 0", got)
	}
	prog = []Instruction{Stmt(LDX|IMM, 4), Stmt(LD|H|IND, 1), Stmt(RET|A, 0)}
	if got := Run(prog, data, binary.BigEndian); got != 0x0807 {
		t.Errorf("H IND = %#x, want 0x807", got)
	}
	prog = []Instruction{Stmt(LDX|IMM, 0), Stmt(ALU|DIV|X, 0), Stmt(RET|K, 7)}
	if got := Run(prog, data, binary.BigEndian); got != 0 {
		t.Errorf("division by X=0 = %d, want 0", got)
	}
}

func TestCheckRejects(t *testing.T) {
	bad := map[string][]Instruction{
		"empty":          nil,
		"no return":      {Stmt(LD|IMM, 1)},
		"unknown":        {Stmt(0x07|0x40, 0), Stmt(RET|K, 0)},
		"div 0":          {Stmt(ALU|DIV|K, 0), Stmt(RET|K, 0)},
		"shift 32":       {Stmt(ALU|RSH|K, 32), Stmt(RET|K, 0)},
		"slot 16":        {Stmt(ST, 16), Stmt(RET|K, 0)},
		"unwritten slot": {Stmt(LD|MEM, 0), Stmt(RET|K, 0)},
		"ja out":         {Stmt(JMP|JA, 1), Stmt(RET|K, 0)},
		"jt out":         {Jump(JMP|JEQ|K, 0, 1, 0), Stmt(RET|K, 0)},
	}
	for name, p := range bad {
		if Check(p) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	seccompBad := map[string][]Instruction{
		"unaligned": {Stmt(LD|W|ABS, 2), Stmt(RET|K, 0)},
		"past end":  {Stmt(LD|W|ABS, 64), Stmt(RET|K, 0)},
		"byte":      {Stmt(LD|B|ABS, 0), Stmt(RET|K, 0)},
		"mod":       {Stmt(ALU|MOD|K, 2), Stmt(RET|K, 0)},
	}
	for name, p := range seccompBad {
		if Check(p) != nil {
			t.Errorf("%s: rejected by Check", name)
		}
		if CheckSeccomp(p) == nil {
			t.Errorf("%s: accepted by CheckSeccomp", name)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	p := []Instruction{Jump(JMP|JEQ|K, 0xdeadbeef, 3, 4), Stmt(RET|K, 1)}
	q := Decode(Encode(p))
	if len(q) != 2 || q[0] != p[0] || q[1] != p[1] {
		t.Fatalf("round trip: %v", q)
	}
}

func TestSeccompAlwaysAllows(t *testing.T) {
	const allow, deny = 0x7fff0000, 0x50001
	prog := []Instruction{
		Stmt(LD|W|ABS, 4),
		Jump(JMP|JEQ|K, 0xc000003e, 1, 0),
		Stmt(RET|K, 0),
		Stmt(LD|W|ABS, 0),
		Jump(JMP|JEQ|K, 1, 0, 1),
		Stmt(RET|K, allow), // write: always
		Jump(JMP|JEQ|K, 2, 0, 3),
		Stmt(LD|W|ABS, 16), // open: depends on an argument
		Jump(JMP|JEQ|K, 0, 0, 2),
		Stmt(RET|K, allow),
		Jump(JMP|JEQ|K, 3, 1, 0),
		Stmt(RET|K, allow), // everything else
		Stmt(RET|K, deny),  // close: denied
	}
	if err := CheckSeccomp(prog); err != nil {
		t.Fatal(err)
	}
	for nr, want := range map[uint32]bool{1: true, 2: false, 3: false, 4: true, 60: true} {
		if got := SeccompAlwaysAllows(prog, nr, 0xc000003e); got != want {
			t.Errorf("nr %d: %v, want %v", nr, got, want)
		}
	}
	if SeccompAlwaysAllows(prog, 1, 0x40000003) {
		t.Error("another architecture is allowed")
	}
}
