// Package arch holds per-architecture CPU state: general registers, FP/xsave
// state, syscall argument access and (with the signals issue) signal frames.
// amd64 is the only architecture so far. It imports abi and x/sys/unix only.
package arch
