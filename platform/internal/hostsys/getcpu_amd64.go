package hostsys

// lslCPU reads the calling thread's CPU from the segment limit of the
// per-CPU GDT entry Linux sets up for the vDSO's getcpu (a few
// nanoseconds; the getcpu system call costs microseconds on a virtual
// machine). ok is false where the entry is missing.
func lslCPU() (cpu uint32, ok bool)
