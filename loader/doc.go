// Package loader parses ELF64 x86-64 executables, maps them into an address
// space and builds the initial stack (argv, envp and the auxiliary vector)
// the way Linux's execve does.
//
// Parsing (Parse) validates every header field it uses before trusting it
// and refuses malformed files with ENOEXEC; it never panics. Stack building
// (BuildStack) is a pure function from strings and auxv values to bytes.
// Loading (Load) drives package mm to map the segments and the stack.
//
// Static executables (ET_EXEC) and static-PIE executables (ET_DYN without
// PT_INTERP) are supported. Executables with an interpreter are parsed and
// the interpreter path is reported, but Load refuses them for now.
//
// loader imports mm and x/sys/unix only. It holds no unsafe code.
package loader
