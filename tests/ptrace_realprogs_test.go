package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// Programs for the debugger tests.
const (
	straceForkProg = `#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
	int fd = open("/etc/kite-no-such-file", O_RDONLY);
	pid_t c = fork();
	if (c == 0) {
		access("/kite-no-such-dir/child", F_OK);
		_exit(0);
	}
	waitpid(c, 0, 0);
	printf("done %d\n", fd);
	return 0;
}
`
	gdbCrashProg = `#include <stdio.h>
static void __attribute__((noinline)) crash_here(int *p) { *p = 42; }
static void __attribute__((noinline)) middle(int *p) { crash_here(p); puts("not reached"); }
int main(void) { middle(0); return 0; }
`
	lsanLeakProg = `#include <stdlib.h>
#include <string.h>
void *keep;
static void __attribute__((noinline)) leak_it(void) { char *p = malloc(77); strcpy(p, "leaked"); keep = 0; }
int main(void) { leak_it(); return 0; }
`
)

// buildProg compiles src with gcc and flags into workDir/name.
func buildProg(t *testing.T, name, src string, flags ...string) string {
	t.Helper()
	c := filepath.Join(workDir, name+".c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(workDir, name)
	args := append(append([]string{}, flags...), "-o", out, c)
	if msg, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Skipf("gcc %v: %v\n%s", args, err, msg)
	}
	return out
}

// compareNormalized runs argv on the host and under kite and compares the
// results after norm has replaced what differs between any two runs
// (process ids, addresses, CPU times).
func compareNormalized(t *testing.T, norm func(string) string, argv ...string) {
	t.Helper()
	host := runCmd(t, nil, testEnv, argv...)
	kargv := append([]string{kiteBin, "run", "--"}, argv...)
	kite := underKite(runCmd(t, nil, testEnv, kargv...))
	for _, r := range []*result{&host, &kite} {
		r.stdout, r.stderr = norm(r.stdout), norm(r.stderr)
	}
	if host != kite {
		t.Errorf("%v differs between host and kite\n--- host:\n%s\n--- kite:\n%s", argv, host, kite)
	}
}

// replacer applies pairs of (regexp, replacement).
func replacer(pairs ...string) func(string) string {
	var res []*regexp.Regexp
	for i := 0; i < len(pairs); i += 2 {
		res = append(res, regexp.MustCompile(pairs[i]))
	}
	return func(s string) string {
		for i, re := range res {
			s = re.ReplaceAllString(s, pairs[2*i+1])
		}
		return s
	}
}

// TestDebuggerPrograms runs tools built on ptrace inside kite: strace
// following a fork, gdb backtracing a crash, LeakSanitizer reporting a
// leak at exit (it stops the process with ptrace to scan it) and
// valgrind.
func TestDebuggerPrograms(t *testing.T) {
	t.Run("strace", func(t *testing.T) {
		need(t, "/usr/bin/strace", "/usr/bin/gcc")
		prog := buildProg(t, "strace_target", straceForkProg, "-static", "-O1")
		compareNormalized(t, replacer(
			`\[pid +\d+\]`, "[pid N]",
			`Process \d+ attached`, "Process N attached",
			`0x[0-9a-f]+ /\* (\d+) vars \*/`, "ENVP /* $1 vars */",
			`si_pid=\d+`, "si_pid=N",
			`si_([us])time=\d+( /\* [^*]* \*/)?`, "si_${1}time=N",
		), "/usr/bin/strace", "-f", "-e", "trace=%file", prog)
	})
	t.Run("gdb", func(t *testing.T) {
		need(t, "/usr/bin/gdb", "/usr/bin/gcc")
		prog := buildProg(t, "gdb_target", gdbCrashProg, "-g", "-O0")
		compareNormalized(t, replacer(`\[Inferior 1 \(process \d+\)`, "[Inferior 1 (process N)"),
			"/usr/bin/gdb", "-nx", "-batch", "-ex", "run", "-ex", "bt", prog)
	})
	t.Run("lsan", func(t *testing.T) {
		need(t, "/usr/bin/gcc")
		prog := buildProg(t, "lsan_target", lsanLeakProg, "-g", "-O0", "-fsanitize=address")
		compareNormalized(t, replacer(
			`==\d+==`, "==N==",
			`0x[0-9a-f]+ in`, "ADDR in",
		), prog)
	})
	t.Run("valgrind", func(t *testing.T) {
		need(t, "/usr/bin/valgrind", "/bin/true")
		compareNormalized(t, replacer(`==\d+==`, "==N=="), "/usr/bin/valgrind", "--tool=none", "/bin/true")
	})
}
