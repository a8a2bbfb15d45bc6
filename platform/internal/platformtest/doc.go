// Package platformtest is the conformance suite of the platform backends:
// Run runs the same tests (system calls, faults, mappings, interrupts, FP
// state, threads, release, crashes, a stress test) against any
// platform.Platform, and its helpers (Env, instruction bytes) serve each
// backend's own tests and benchmarks. Only tests import it.
//
// The tests run application code in a platform: they need ptrace and the
// host's /proc, as the backends do.
package platformtest
