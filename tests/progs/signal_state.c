/* Signal dispositions, masks and the alternate stack: state only. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%s = %ld %s\n", name, r_ < 0 ? -1L : r_, r_ < 0 ? en(errno) : ""); } while (0)

static void handler(int sig) { (void)sig; }

int main(void) {
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, SIGUSR2);
	TRY("sigaction(USR1)", sigaction(SIGUSR1, &sa, NULL));
	TRY("sigaction(USR1 query)", sigaction(SIGUSR1, NULL, &old));
	printf("handler kept %d restart %d mask usr2 %d\n", old.sa_handler == handler,
	       (old.sa_flags & SA_RESTART) != 0, sigismember(&old.sa_mask, SIGUSR2));
	TRY("sigaction(KILL)", sigaction(SIGKILL, &sa, NULL));
	TRY("sigaction(STOP)", sigaction(SIGSTOP, &sa, NULL));
	TRY("sigaction(KILL query)", sigaction(SIGKILL, NULL, &old));
	TRY("sigaction(0)", sigaction(0, &sa, NULL));
	TRY("sigaction(65)", syscall(SYS_rt_sigaction, 65, NULL, &old, 8));
	TRY("rt_sigaction(bad size)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4));
	TRY("rt_sigaction(bad act)", syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8));
	TRY("rt_sigaction(bad oldact)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, (void *)8, 8));
	signal(SIGPIPE, SIG_IGN);
	TRY("signal(PIPE) query", signal(SIGPIPE, SIG_DFL) == SIG_IGN ? 0 : -1);

	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGKILL);
	TRY("sigprocmask(BLOCK)", sigprocmask(SIG_BLOCK, &set, NULL));
	TRY("sigprocmask(query)", sigprocmask(SIG_SETMASK, NULL, &cur));
	printf("usr1 blocked %d kill blocked %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGKILL));
	TRY("sigprocmask(UNBLOCK)", sigprocmask(SIG_UNBLOCK, &set, &cur));
	TRY("rt_sigprocmask(bad how)", syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8));
	TRY("rt_sigprocmask(bad size)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16));
	TRY("rt_sigprocmask(bad ptr)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8));
	TRY("rt_sigprocmask(bad how, null set)", syscall(SYS_rt_sigprocmask, 7, NULL, &cur, 8));

	stack_t ss, os;
	TRY("sigaltstack(query)", sigaltstack(NULL, &os));
	printf("initially disabled %d\n", (os.ss_flags & SS_DISABLE) != 0);
	ss.ss_sp = malloc(SIGSTKSZ);
	ss.ss_size = SIGSTKSZ;
	ss.ss_flags = 0;
	TRY("sigaltstack(set)", sigaltstack(&ss, NULL));
	TRY("sigaltstack(query2)", sigaltstack(NULL, &os));
	printf("size kept %d flags %d\n", os.ss_size == SIGSTKSZ, os.ss_flags);
	ss.ss_size = 100;
	TRY("sigaltstack(too small)", sigaltstack(&ss, NULL));
	ss.ss_size = SIGSTKSZ;
	ss.ss_flags = 12345;
	TRY("sigaltstack(bad flags)", sigaltstack(&ss, NULL));
	ss.ss_flags = SS_DISABLE;
	TRY("sigaltstack(disable)", sigaltstack(&ss, NULL));
	TRY("sigaltstack(query3)", sigaltstack(NULL, &os));
	printf("disabled %d\n", (os.ss_flags & SS_DISABLE) != 0);
	TRY("sigaltstack(bad ptr)", syscall(SYS_sigaltstack, (void *)8, NULL));
	return 0;
}
