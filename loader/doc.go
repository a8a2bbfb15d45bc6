// Package loader parses ELF64 x86-64 executables, maps them into an address
// space and builds the initial stack (argv, envp and the auxiliary vector)
// the way Linux's execve does.
//
// Parsing (Parse) validates every header field it uses before trusting it
// and refuses malformed files with ENOEXEC; it never panics. Stack building
// (BuildStack) is a pure function from strings and auxv values to bytes.
// Loading (Load) drives package mm to map the segments and the stack.
//
// Static executables (ET_EXEC), static-PIE executables (ET_DYN without
// PT_INTERP) and dynamically linked ones are supported: for the last, the
// caller opens the interpreter (LoadArgs.OpenInterpreter) and Load maps it
// where mmap would, as Linux's load_elf_interp does.
//
// Interpreter scripts ("#!" lines) are parsed by ParseScript; execve
// runs Script.Argv with the interpreter, up to MaxInterpreterDepth levels.
//
// loader imports mm and x/sys/unix only. It holds no unsafe code.
package loader
