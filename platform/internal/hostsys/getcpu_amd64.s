#include "textflag.h"

// func lslCPU() (cpu uint32, ok bool)
//
// LSL of the per-CPU GDT segment (selector 0x7b, GDT_ENTRY_CPUNODE):
// Linux puts the CPU number in the low 12 bits of its limit, which is how
// the vDSO's getcpu answers without RDPID. ZF is clear if the selector
// is not valid.
TEXT ·lslCPU(SB), NOSPLIT, $0-5
	MOVL	$0x7b, BX
	MOVL	$0, AX
	LSLL	BX, AX
	SETEQ	ok+4(FP)
	ANDL	$0xfff, AX
	MOVL	AX, cpu+0(FP)
	RET
