package vdso

// The data page (vvar) is an array of 64-bit words, one page below the
// image. The kernel writes it under a sequence lock (VV_SEQ odd while it
// changes); the vDSO reads it. internal/genvdso writes these constants
// into vvar.h for the C side, so this file is their only definition.
//
// CLOCK_MONOTONIC at time-stamp counter value tsc is
//
//	MonoNS + ((tsc - TSCBase) * Mult + MonoFrac) >> MultShift
//
// (a 128-bit product; tsc below TSCBase counts as TSCBase), and every
// other clock the vDSO serves is CLOCK_MONOTONIC plus an offset.
const (
	// WordSeq is the sequence count: odd while the kernel updates.
	WordSeq = 0
	// WordMode is ModeTSC when the vDSO may compute the time, anything
	// else (ModeNone) to make the system call.
	WordMode = 1
	// WordTSCBase is the counter value at which CLOCK_MONOTONIC was
	// MonoNS + MonoFrac/2^MultShift nanoseconds.
	WordTSCBase = 2
	// WordMult is nanoseconds per counter tick, in units of
	// 2^-MultShift ns.
	WordMult = 3
	// WordMonoNS and WordMonoFrac are CLOCK_MONOTONIC at WordTSCBase,
	// whole nanoseconds and the fraction in units of 2^-MultShift ns.
	WordMonoNS   = 4
	WordMonoFrac = 5
	// WordRealtimeOff is CLOCK_REALTIME minus CLOCK_MONOTONIC (signed).
	WordRealtimeOff = 6
	// WordBoottimeOff is CLOCK_BOOTTIME minus CLOCK_MONOTONIC.
	WordBoottimeOff = 7
	// WordTAIOff is CLOCK_TAI minus CLOCK_REALTIME.
	WordTAIOff = 8
	// WordRawOff is CLOCK_MONOTONIC_RAW minus CLOCK_MONOTONIC.
	WordRawOff = 9
	// WordResHres and WordResCoarse are clock_getres's answers in
	// nanoseconds for the fine and the _COARSE clocks.
	WordResHres   = 10
	WordResCoarse = 11
	// Words is the number of words the vDSO may read.
	Words = 12
)

// Modes of WordMode.
const (
	ModeNone = 0
	ModeTSC  = 1
)

// MultShift is the binary point of WordMult and WordMonoFrac.
const MultShift = 32

// PageSize is the size of the data page, which the image follows.
const PageSize = 4096
