package tests

import (
	"os"
	"path/filepath"
	"testing"
)

// TestBusyboxShell runs shell scripts with busybox sh on the host and
// under kite: pipelines, subshells, command substitution, traps,
// background jobs, kill and exec. In
// background-wait the first job reads a FIFO the second writes after its
// echo (a sleep made the order depend on how soon the second job ran).
func TestBusyboxShell(t *testing.T) {
	bb := busybox(t)
	scripts := map[string]string{
		"pipeline":        `seq 1 20000 | sort -rn | head -3`,
		"subshell":        `x=1; (x=2; echo inner $x); echo outer $x`,
		"command-subst":   `n=$(echo a b c | wc -w); echo words: $n; echo "nested $(echo $(echo deep))"`,
		"exit-status":     `false; echo $?; true; echo $?; (exit 42); echo $?`,
		"trap-exit":       `trap 'echo bye' EXIT; echo hello`,
		"trap-term":       `trap 'echo got TERM; exit 3' TERM; kill -TERM $$; echo not reached`,
		"trap-int":        `trap 'echo got INT' INT; kill -INT $$; echo after`,
		"background-wait": `f=/tmp/bgwait.$$; mkfifo $f; (read x <$f; echo first) & (echo second; echo go >$f) & wait; rm $f; echo done`,
		// Whether ash reports "Terminated" depends on the caller's
		// session and terminal even on Linux: only $? is compared.
		"kill-child":     `sleep 10 & pid=$!; sleep 0.1; kill -TERM $pid; wait $pid 2>/dev/null; echo status $?`,
		"exec-in-script": `echo before; exec echo replaced; echo not reached`,
		"redirects":      `echo to-stderr >&2; echo out 2>/dev/null; cat </dev/null; echo $(cat /etc/os-release | head -1)`,
		"loop":           `i=0; while [ $i -lt 50 ]; do i=$((i+1)); done; echo $i`,
		"for-pipe":       `for w in c a b; do echo $w; done | sort | tr '\n' ' '; echo`,
		"yes-head":       `yes | head -c 100000 | wc -c`,
		"yes-head-100MB": `yes | head -c 100000000 | wc -c`,
	}
	for name, script := range scripts {
		t.Run(name, func(t *testing.T) { compare(t, nil, bb, "sh", "-c", script) })
	}
}

// TestShebangScript runs a #!/bin/busybox sh script directly.
func TestShebangScript(t *testing.T) {
	busybox(t)
	p := filepath.Join(workDir, "script.sh")
	script := "#!/bin/busybox sh\necho args: \"$@\"\necho name: ${0##*/}\nexit 5\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	compare(t, nil, p, "one", "two words")
}
