package tests

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// schedApplyProg sets its nice value, a batch policy, an affinity of one
// CPU and the idle I/O class, says so, and waits for a line on stdin.
const schedApplyProg = `#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int cpu = atoi(argv[1]);
	struct sched_param p = {0};
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (setpriority(PRIO_PROCESS, 0, 7) || sched_setscheduler(0, SCHED_BATCH, &p) ||
	    sched_setaffinity(0, sizeof one, &one) || syscall(SYS_ioprio_set, 1, 0, 3 << 13)) {
		perror("sched");
		return 1;
	}
	printf("ready on %d\n", sched_getcpu());
	fflush(stdout);
	char c;
	read(0, &c, 1);
	return 0;
}
`

// hostThread is one host thread's scheduling as /proc shows it.
type hostThread struct {
	tid          string
	kite         bool // a thread of kite's process, not of a stub
	nice, policy int
	cpus         string
}

// hostThreads returns the threads of host process pid and of its children
// (kite's stub processes).
func hostThreads(t *testing.T, pid int) []hostThread {
	t.Helper()
	pids := []string{strconv.Itoa(pid)}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			pids = append(pids, e.Name())
		}
	}
	var out []hostThread
	for _, p := range pids {
		tasks, _ := os.ReadDir(filepath.Join("/proc", p, "task"))
		for _, tk := range tasks {
			dir := filepath.Join("/proc", p, "task", tk.Name())
			b, err := os.ReadFile(filepath.Join(dir, "stat"))
			if err != nil {
				continue
			}
			f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
			if len(f) < 39 {
				continue
			}
			h := hostThread{tid: tk.Name(), kite: p == pids[0]}
			h.nice, _ = strconv.Atoi(f[16])
			h.policy, _ = strconv.Atoi(f[38])
			st, _ := os.ReadFile(filepath.Join(dir, "status"))
			for _, line := range strings.Split(string(st), "\n") {
				if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
					h.cpus = strings.TrimSpace(v)
				}
			}
			out = append(out, h)
		}
	}
	return out
}

// TestSchedulingAppliedToHost checks that a program's nice value, policy
// and CPU affinity reach the host threads that run it: kite's thread and
// the stub thread, and that sched_getcpu reports the one CPU allowed; and
// that its I/O priority reaches kite's thread, which does its host I/O.
func TestSchedulingAppliedToHost(t *testing.T) {
	var mine unix.CPUSet
	if err := unix.SchedGetaffinity(0, &mine); err != nil || mine.Count() < 2 {
		t.Skip("needs two CPUs")
	}
	// kite's CPU 1 is the second CPU it may use: kite inherits this
	// process's affinity.
	second, seen := -1, 0
	for cpu := 0; second < 0; cpu++ {
		if mine.IsSet(cpu) {
			if seen++; seen == 2 {
				second = cpu
			}
		}
	}
	prog := buildProg(t, "sched_apply", schedApplyProg, "-static")
	cmd := exec.Command(kiteBin, "run", "--", prog, "1")
	cmd.Env = testEnv
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the program's line: %v", err)
	}
	if line != "ready on 1\n" {
		t.Errorf("program said %q, want %q", line, "ready on 1\n")
	}
	var applied []hostThread
	for _, h := range hostThreads(t, cmd.Process.Pid) {
		if h.nice == 7 && h.policy == 3 {
			applied = append(applied, h)
		}
	}
	// kite's own thread and the stub thread.
	if len(applied) != 2 {
		t.Fatalf("host threads with nice 7 and SCHED_BATCH: %v, want kite's and the stub's", applied)
	}
	for _, h := range applied {
		if h.cpus != strconv.Itoa(second) {
			t.Errorf("host thread allowed on CPUs %q, want %d", h.cpus, second)
		}
		if !h.kite {
			continue
		}
		out, err := exec.Command("ionice", "-p", h.tid).CombinedOutput()
		if err != nil {
			t.Logf("no ionice: %v %s", err, out)
			continue
		}
		if strings.TrimSpace(string(out)) != "idle" {
			t.Errorf("ionice -p %s (kite's thread): %q, want idle", h.tid, out)
		}
	}
}
