package bpf

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Instruction is struct sock_filter.
type Instruction struct {
	Op uint16
	JT uint8
	JF uint8
	K  uint32
}

// InstructionSize is sizeof(struct sock_filter).
const InstructionSize = 8

// MaxInstructions is BPF_MAXINSNS: the longest program Linux accepts.
const MaxInstructions = 4096

// MemWords is BPF_MEMWORDS: the scratch memory slots M[0..15].
const MemWords = 16

// Instruction classes and fields, as linux/bpf_common.h and linux/filter.h.
const (
	LD   = 0x00
	LDX  = 0x01
	ST   = 0x02
	STX  = 0x03
	ALU  = 0x04
	JMP  = 0x05
	RET  = 0x06
	MISC = 0x07

	W = 0x00
	H = 0x08
	B = 0x10

	IMM = 0x00
	ABS = 0x20
	IND = 0x40
	MEM = 0x60
	LEN = 0x80
	MSH = 0xa0

	ADD = 0x00
	SUB = 0x10
	MUL = 0x20
	DIV = 0x30
	OR  = 0x40
	AND = 0x50
	LSH = 0x60
	RSH = 0x70
	NEG = 0x80
	MOD = 0x90
	XOR = 0xa0

	JA   = 0x00
	JEQ  = 0x10
	JGT  = 0x20
	JGE  = 0x30
	JSET = 0x40

	K = 0x00
	X = 0x08
	A = 0x10

	TAX = 0x00
	TXA = 0x80
)

// Stmt and Jump build instructions, as BPF_STMT and BPF_JUMP.
func Stmt(op uint16, k uint32) Instruction { return Instruction{Op: op, K: k} }

// Jump is BPF_JUMP.
func Jump(op uint16, k uint32, jt, jf uint8) Instruction {
	return Instruction{Op: op, JT: jt, JF: jf, K: k}
}

// Decode reads a program in struct sock_filter form (little-endian).
func Decode(b []byte) []Instruction {
	prog := make([]Instruction, len(b)/InstructionSize)
	for i := range prog {
		p := b[i*InstructionSize:]
		prog[i] = Instruction{
			Op: binary.LittleEndian.Uint16(p),
			JT: p[2],
			JF: p[3],
			K:  binary.LittleEndian.Uint32(p[4:]),
		}
	}
	return prog
}

// Encode writes prog in struct sock_filter form.
func Encode(prog []Instruction) []byte {
	b := make([]byte, len(prog)*InstructionSize)
	for i, in := range prog {
		p := b[i*InstructionSize:]
		binary.LittleEndian.PutUint16(p, in.Op)
		p[2], p[3] = in.JT, in.JF
		binary.LittleEndian.PutUint32(p[4:], in.K)
	}
	return b
}

// allowed is the set of opcodes a classic program may use (Linux's
// codes[] table in net/core/filter.c).
var allowed = func() map[uint16]bool {
	m := map[uint16]bool{}
	for _, op := range []uint16{ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH} {
		m[ALU|op|K] = true
		m[ALU|op|X] = true
	}
	m[ALU|NEG] = true
	for _, sz := range []uint16{W, H, B} {
		m[LD|sz|ABS] = true
		m[LD|sz|IND] = true
	}
	for _, op := range []uint16{
		LD | MEM, LD | IMM, LD | W | LEN,
		LDX | B | MSH, LDX | IMM, LDX | MEM, LDX | W | LEN,
		ST, STX, MISC | TAX, MISC | TXA, RET | K, RET | A, JMP | JA,
	} {
		m[op] = true
	}
	for _, op := range []uint16{JEQ, JGT, JGE, JSET} {
		m[JMP|op|K] = true
		m[JMP|op|X] = true
	}
	return m
}()

// Check validates prog as Linux's bpf_check_classic: a known opcode in
// every instruction, no division by a zero constant, shifts below 32,
// scratch slots in range and written before they are read on every path,
// jumps that land inside the program, and a return as the last
// instruction. It returns EINVAL for any violation.
func Check(prog []Instruction) error {
	n := len(prog)
	if n == 0 || n > MaxInstructions {
		return unix.EINVAL
	}
	for pc, in := range prog {
		if !allowed[in.Op] {
			return unix.EINVAL
		}
		switch in.Op {
		case ALU | DIV | K, ALU | MOD | K:
			if in.K == 0 {
				return unix.EINVAL
			}
		case ALU | LSH | K, ALU | RSH | K:
			if in.K >= 32 {
				return unix.EINVAL
			}
		case LD | MEM, LDX | MEM, ST, STX:
			if in.K >= MemWords {
				return unix.EINVAL
			}
		case JMP | JA:
			if uint64(in.K) >= uint64(n-pc-1) {
				return unix.EINVAL
			}
		case JMP | JEQ | K, JMP | JEQ | X, JMP | JGT | K, JMP | JGT | X,
			JMP | JGE | K, JMP | JGE | X, JMP | JSET | K, JMP | JSET | X:
			if pc+int(in.JT)+1 >= n || pc+int(in.JF)+1 >= n {
				return unix.EINVAL
			}
		}
	}
	switch prog[n-1].Op {
	case RET | K, RET | A:
		return checkLoadsAndStores(prog)
	}
	return unix.EINVAL
}

// checkLoadsAndStores rejects a program that may read a scratch slot no
// path has written (Linux's check_load_and_stores).
func checkLoadsAndStores(prog []Instruction) error {
	const all = uint16(0xffff)
	masks := make([]uint16, len(prog))
	for i := range masks {
		masks[i] = all
	}
	valid := uint16(0)
	for pc, in := range prog {
		valid &= masks[pc]
		switch in.Op {
		case ST, STX:
			valid |= 1 << in.K
		case LD | MEM, LDX | MEM:
			if valid&(1<<in.K) == 0 {
				return unix.EINVAL
			}
		case RET | K, RET | A:
			valid = all
		case JMP | JA:
			masks[pc+1+int(in.K)] &= valid
			valid = all
		case JMP | JEQ | K, JMP | JEQ | X, JMP | JGT | K, JMP | JGT | X,
			JMP | JGE | K, JMP | JGE | X, JMP | JSET | K, JMP | JSET | X:
			masks[pc+1+int(in.JT)] &= valid
			masks[pc+1+int(in.JF)] &= valid
			valid = all
		}
	}
	return nil
}

// SeccompDataSize is sizeof(struct seccomp_data).
const SeccompDataSize = 64

// CheckSeccomp validates a seccomp filter: Check, then Linux's
// seccomp_check_filter: the only packet access is an aligned 32-bit load
// inside struct seccomp_data (or its length), and the opcode set is the
// smaller one seccomp accepts (no MOD, no indirect loads). EINVAL for any
// violation.
func CheckSeccomp(prog []Instruction) error {
	if err := Check(prog); err != nil {
		return err
	}
	for _, in := range prog {
		switch in.Op {
		case LD | W | ABS:
			if in.K >= SeccompDataSize || in.K&3 != 0 {
				return unix.EINVAL
			}
		case LD | W | LEN, LDX | W | LEN,
			RET | K, RET | A,
			ALU | ADD | K, ALU | ADD | X, ALU | SUB | K, ALU | SUB | X,
			ALU | MUL | K, ALU | MUL | X, ALU | DIV | K, ALU | DIV | X,
			ALU | AND | K, ALU | AND | X, ALU | OR | K, ALU | OR | X,
			ALU | XOR | K, ALU | XOR | X, ALU | LSH | K, ALU | LSH | X,
			ALU | RSH | K, ALU | RSH | X, ALU | NEG,
			LD | IMM, LDX | IMM, MISC | TAX, MISC | TXA,
			LD | MEM, LDX | MEM, ST, STX, JMP | JA,
			JMP | JEQ | K, JMP | JEQ | X, JMP | JGE | K, JMP | JGE | X,
			JMP | JGT | K, JMP | JGT | X, JMP | JSET | K, JMP | JSET | X:
		default:
			return unix.EINVAL
		}
	}
	return nil
}

// Run executes a checked program over data and returns its result.
// Packet loads use order (big-endian for socket filters, the host's order
// for seccomp_data); a load outside data ends the program with 0, as
// does a division by a zero X.
//
// Preconditions: Check(prog) returned nil.
func Run(prog []Instruction, data []byte, order binary.ByteOrder) uint32 {
	var a, x uint32
	var mem [MemWords]uint32
	n := uint32(len(data))
	load := func(off uint32, size uint32) (uint32, bool) {
		if off > n || n-off < size {
			return 0, false
		}
		switch size {
		case 4:
			return order.Uint32(data[off:]), true
		case 2:
			return uint32(order.Uint16(data[off:])), true
		}
		return uint32(data[off]), true
	}
	for pc := 0; pc < len(prog); pc++ {
		in := &prog[pc]
		switch in.Op {
		case RET | K:
			return in.K
		case RET | A:
			return a
		case LD | W | ABS, LD | H | ABS, LD | B | ABS, LD | W | IND, LD | H | IND, LD | B | IND:
			off := in.K
			if in.Op&0xe0 == IND {
				off += x
			}
			v, ok := load(off, sizeOf(in.Op))
			if !ok {
				return 0
			}
			a = v
		case LDX | B | MSH:
			v, ok := load(in.K, 1)
			if !ok {
				return 0
			}
			x = 4 * (v & 0xf)
		case LD | W | LEN:
			a = n
		case LDX | W | LEN:
			x = n
		case LD | IMM:
			a = in.K
		case LDX | IMM:
			x = in.K
		case LD | MEM:
			a = mem[in.K]
		case LDX | MEM:
			x = mem[in.K]
		case ST:
			mem[in.K] = a
		case STX:
			mem[in.K] = x
		case MISC | TAX:
			x = a
		case MISC | TXA:
			a = x
		case ALU | NEG:
			a = -a
		case JMP | JA:
			pc += int(in.K)
		default:
			switch in.Op & 0x07 {
			case ALU:
				v := in.K
				if in.Op&X != 0 {
					v = x
				}
				var ok bool
				if a, ok = alu(in.Op&0xf0, a, v); !ok {
					return 0
				}
			case JMP:
				v := in.K
				if in.Op&X != 0 {
					v = x
				}
				var taken bool
				switch in.Op & 0xf0 {
				case JEQ:
					taken = a == v
				case JGT:
					taken = a > v
				case JGE:
					taken = a >= v
				case JSET:
					taken = a&v != 0
				}
				if taken {
					pc += int(in.JT)
				} else {
					pc += int(in.JF)
				}
			default:
				return 0
			}
		}
	}
	return 0
}

func sizeOf(op uint16) uint32 {
	switch op & 0x18 {
	case H:
		return 2
	case B:
		return 1
	}
	return 4
}

// alu applies a 32-bit ALU operation; ok is false for a division by zero.
func alu(op uint16, a, v uint32) (uint32, bool) {
	switch op {
	case ADD:
		return a + v, true
	case SUB:
		return a - v, true
	case MUL:
		return a * v, true
	case DIV:
		if v == 0 {
			return 0, false
		}
		return a / v, true
	case MOD:
		if v == 0 {
			return 0, false
		}
		return a % v, true
	case AND:
		return a & v, true
	case OR:
		return a | v, true
	case XOR:
		return a ^ v, true
	case LSH:
		return a << (v & 31), true
	case RSH:
		return a >> (v & 31), true
	}
	return 0, false
}

// SeccompCost is what a checked seccomp filter counts toward Linux's
// limit on a task's filter chain: the number of instructions Linux's
// translation of the classic program to its internal form has (three of
// prologue; two for a constant return, a division by X or a two-way
// conditional jump; one more for a negative jump constant).
func SeccompCost(prog []Instruction) int {
	n := 3
	for _, in := range prog {
		switch {
		case in.Op == RET|K:
			n += 2
		case in.Op == ALU|DIV|X || in.Op == ALU|MOD|X:
			n += 5
		case in.Op&0x07 == JMP && in.Op != JMP|JA:
			if in.Op&X == 0 && int32(in.K) < 0 {
				n++
			}
			switch {
			case in.JF == 0:
				n++
			case in.JT == 0 && in.Op&0xf0 != JSET:
				n++
			default:
				n += 2
			}
		default:
			n++
		}
	}
	return n
}

// SeccompAlwaysAllows reports whether a checked seccomp filter returns
// SECCOMP_RET_ALLOW for system call nr on arch whatever the call's
// arguments and instruction pointer: following the program with only
// the number and architecture known, every step it takes depends on
// nothing else. Linux caches this answer per system call (its
// seccomp_cache) so that allowed calls skip the filter; so does kite.
func SeccompAlwaysAllows(prog []Instruction, nr, arch uint32) bool {
	var a uint32
	known := false
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Op {
		case LD | W | ABS:
			switch in.K {
			case 0:
				a, known = nr, true
			case 4:
				a, known = arch, true
			default:
				return false
			}
		case LD | IMM:
			a, known = in.K, true
		case ALU | AND | K:
			if !known {
				return false
			}
			a &= in.K
		case JMP | JA:
			pc += int(in.K)
		case JMP | JEQ | K, JMP | JGE | K, JMP | JGT | K, JMP | JSET | K:
			if !known {
				return false
			}
			var taken bool
			switch in.Op & 0xf0 {
			case JEQ:
				taken = a == in.K
			case JGE:
				taken = a >= in.K
			case JGT:
				taken = a > in.K
			default:
				taken = a&in.K != 0
			}
			if taken {
				pc += int(in.JT)
			} else {
				pc += int(in.JF)
			}
		case RET | K:
			return in.K == 0x7fff0000 // SECCOMP_RET_ALLOW
		default:
			return false
		}
	}
	return false
}
