/* prctl options programs use besides names and capabilities:
 * PR_GET/SET_TIMERSLACK (50 µs at first; 0 restores the slack the
 * thread was made with, its parent's at fork), PR_GET_TID_ADDRESS
 * (set_tid_address's), PR_TASK_PERF_EVENTS_DISABLE/ENABLE, PR_MCE_KILL
 * and PR_MCE_KILL_GET (inherited by fork) and PR_GET_TSC, with Linux's
 * EINVAL and EFAULT. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r) {
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	}
	return strerror(errno);
}

#define P(label, ...)                                                  \
	do {                                                           \
		errno = 0;                                             \
		long r_ = prctl(__VA_ARGS__);                          \
		printf("%-40s %ld %s\n", label, r_, err(r_));          \
	} while (0)

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	P("GET_TIMERSLACK initial", PR_GET_TIMERSLACK, 0, 0, 0, 0);
	P("SET_TIMERSLACK 1000", PR_SET_TIMERSLACK, 1000, 0, 0, 0);
	P("GET_TIMERSLACK", PR_GET_TIMERSLACK, 0, 0, 0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		P("child GET_TIMERSLACK", PR_GET_TIMERSLACK, 0, 0, 0, 0);
		P("child SET_TIMERSLACK 7", PR_SET_TIMERSLACK, 7, 0, 0, 0);
		P("child SET_TIMERSLACK 0", PR_SET_TIMERSLACK, 0, 0, 0, 0);
		P("child GET_TIMERSLACK after 0", PR_GET_TIMERSLACK, 0, 0, 0, 0);
		P("child MCE_KILL_GET", PR_MCE_KILL_GET, 0, 0, 0, 0);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	P("SET_TIMERSLACK 0", PR_SET_TIMERSLACK, 0, 0, 0, 0);
	P("GET_TIMERSLACK after 0", PR_GET_TIMERSLACK, 0, 0, 0, 0);

	int *addr = (int *)1;
	P("GET_TID_ADDRESS", PR_GET_TID_ADDRESS, &addr, 0, 0, 0);
	printf("tid address set: %s\n", addr != (int *)1 && addr != NULL ? "yes" : "no");
	static int mine;
	syscall(SYS_set_tid_address, &mine);
	P("GET_TID_ADDRESS after set_tid_address", PR_GET_TID_ADDRESS, &addr, 0, 0, 0);
	printf("is set_tid_address's: %s\n", addr == &mine ? "yes" : "no");
	P("GET_TID_ADDRESS bad pointer", PR_GET_TID_ADDRESS, (void *)8, 0, 0, 0);

	P("TASK_PERF_EVENTS_DISABLE", PR_TASK_PERF_EVENTS_DISABLE, 0, 0, 0, 0);
	P("TASK_PERF_EVENTS_ENABLE", PR_TASK_PERF_EVENTS_ENABLE, 0, 0, 0, 0);

	P("MCE_KILL_GET", PR_MCE_KILL_GET, 0, 0, 0, 0);
	P("MCE_KILL_GET extra arg", PR_MCE_KILL_GET, 1, 0, 0, 0);
	P("MCE_KILL SET EARLY", PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
	P("MCE_KILL_GET", PR_MCE_KILL_GET, 0, 0, 0, 0);
	pid = fork();
	if (pid == 0) {
		P("child MCE_KILL_GET", PR_MCE_KILL_GET, 0, 0, 0, 0);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	P("MCE_KILL SET LATE", PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0);
	P("MCE_KILL_GET", PR_MCE_KILL_GET, 0, 0, 0, 0);
	P("MCE_KILL SET 5", PR_MCE_KILL, PR_MCE_KILL_SET, 5, 0, 0);
	P("MCE_KILL CLEAR 1", PR_MCE_KILL, PR_MCE_KILL_CLEAR, 1, 0, 0);
	P("MCE_KILL 7", PR_MCE_KILL, 7, 0, 0, 0);
	P("MCE_KILL SET EARLY arg4", PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 1, 0);
	P("MCE_KILL_GET", PR_MCE_KILL_GET, 0, 0, 0, 0);
	P("MCE_KILL CLEAR", PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0);
	P("MCE_KILL_GET", PR_MCE_KILL_GET, 0, 0, 0, 0);
	P("MCE_KILL SET DEFAULT", PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_DEFAULT, 0, 0);
	P("MCE_KILL_GET", PR_MCE_KILL_GET, 0, 0, 0, 0);

	unsigned int tsc = 99;
	P("GET_TSC", PR_GET_TSC, &tsc, 0, 0, 0);
	printf("tsc mode %u\n", tsc);
	P("GET_TSC bad pointer", PR_GET_TSC, (void *)8, 0, 0, 0);
	return 0;
}
