package bench

import (
	"fmt"
	"testing"
)

// ipcC times argv[2] iterations of one System V IPC or namespace
// operation and prints the nanoseconds per iteration: 's' a semop
// ping-pong between two processes (one round trip: two semops each way),
// 'm' a msgsnd/msgrcv round trip between two processes, 'c' clone with
// new mount, UTS, IPC and user namespaces, exit and wait, 'p' the same
// with a new PID namespace too (the child is its init).
const ipcC = `
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static int op(int id, int num, int d) { struct sembuf b = {num, d, 0}; return semop(id, &b, 1); }
static char stack[65536];
static int child(void *a) { (void)a; return 0; }
int main(int argc, char **argv) {
	long n = atol(argv[2]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	switch (argv[1][0]) {
	case 's': {
		int id = semget(IPC_PRIVATE, 2, 0600);
		pid_t c = fork();
		if (c == 0) { for (long i = 0; i < n; i++) { op(id, 0, -1); op(id, 1, 1); } _exit(0); }
		for (long i = 0; i < n; i++) { op(id, 0, 1); op(id, 1, -1); }
		waitpid(c, 0, 0);
		semctl(id, 0, IPC_RMID);
		break;
	}
	case 'm': {
		int id = msgget(IPC_PRIVATE, 0600);
		struct { long t; char c[64]; } m = {1, ""};
		pid_t c = fork();
		if (c == 0) { for (long i = 0; i < n; i++) { msgrcv(id, &m, 64, 1, 0); m.t = 2; msgsnd(id, &m, 64, 0); } _exit(0); }
		for (long i = 0; i < n; i++) { m.t = 1; msgsnd(id, &m, 64, 0); msgrcv(id, &m, 64, 2, 0); }
		waitpid(c, 0, 0);
		msgctl(id, IPC_RMID, 0);
		break;
	}
	case 'c':
	case 'p': {
		int fl = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | SIGCHLD;
		if (argv[1][0] == 'p') fl |= CLONE_NEWPID;
		for (long i = 0; i < n; i++) {
			pid_t c = clone(child, stack + sizeof stack, fl, 0);
			if (c < 0) { perror("clone"); return 1; }
			waitpid(c, 0, 0);
		}
		break;
	}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld\n", ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec)) / n);
	return 0;
}
`

// benchIPC reports the nanoseconds per iteration of ipcC's kind.
func benchIPC(b *testing.B, kind string, n int) {
	bin := buildProg(b, "ipc", ipcC)
	compareHostKite(b, "ns/op", func(b *testing.B, underKite bool) float64 {
		var ns float64
		for i := 0; i < b.N; i++ {
			ns += runTimed(b, underKite, bin, kind, fmt.Sprint(n))
		}
		ns /= float64(b.N)
		b.ReportMetric(ns, "ns/iter")
		return ns
	})
}

// BenchmarkSemopPingPong is a semop round trip between two processes.
func BenchmarkSemopPingPong(b *testing.B) { benchIPC(b, "s", 2000) }

// BenchmarkMsgRoundTrip is a msgsnd/msgrcv round trip between two
// processes.
func BenchmarkMsgRoundTrip(b *testing.B) { benchIPC(b, "m", 2000) }

// BenchmarkCloneNamespaces is clone with new mount, UTS, IPC and user
// namespaces, then exit and wait.
func BenchmarkCloneNamespaces(b *testing.B) { benchIPC(b, "c", 200) }

// BenchmarkCloneNamespacesPID is BenchmarkCloneNamespaces with a new PID
// namespace as well, whose init the child is.
func BenchmarkCloneNamespacesPID(b *testing.B) { benchIPC(b, "p", 200) }
