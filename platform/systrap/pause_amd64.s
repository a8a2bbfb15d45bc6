#include "textflag.h"

// func pause(n uint32)
// Executes the PAUSE instruction n times: the spin-wait hint, which the
// stub's own polling loop uses too.
TEXT ·pause(SB),NOSPLIT,$0-4
	MOVL n+0(FP), CX
	TESTL CX, CX
	JZ done
loop:
	PAUSE
	DECL CX
	JNZ loop
done:
	RET
