/* ptrace core: PTRACE_TRACEME and PTRACE_ATTACH, the wait status of
 * signal-delivery stops, GETSIGINFO, GETREGS/SETREGS, PEEKUSER,
 * PEEKDATA/POKEDATA/PEEKTEXT/POKETEXT, CONT with and without a signal,
 * DETACH, KILL, and the errors (ESRCH, EPERM, EIO). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long target_word = 0x1122334455667788L;
static volatile sig_atomic_t got_usr1, got_usr2;
static void on_usr1(int s) { (void)s; got_usr1++; }
static void on_usr2(int s) { (void)s; got_usr2++; }

static void err(const char *what, long r) {
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "ok");
}

static void show_status(const char *what, int st) {
	if (WIFSTOPPED(st))
		printf("%s: stopped sig %d (status %#x)\n", what, WSTOPSIG(st), st);
	else if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d\n", what, WTERMSIG(st));
}

static void traceme(void) {
	pid_t c = fork();
	if (c == 0) {
		signal(SIGUSR1, on_usr1);
		signal(SIGUSR2, on_usr2);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			_exit(90);
		errno = 0;
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) != -1 || errno != EPERM)
			_exit(91);
		raise(SIGSTOP);
		raise(SIGUSR1); /* tracer turns it into SIGUSR2 */
		raise(SIGUSR1); /* tracer suppresses it */
		_exit((target_word == 0x0102030405060708L ? 10 : 20) + got_usr1 * 4 + got_usr2);
	}
	int st;
	if (waitpid(c, &st, 0) != c) { perror("waitpid"); exit(1); }
	show_status("traceme stop", st);

	siginfo_t si;
	memset(&si, 0, sizeof si);
	err("getsiginfo", ptrace(PTRACE_GETSIGINFO, c, 0, &si));
	printf("siginfo signo %d code %d pid-is-child %d\n", si.si_signo, si.si_code, si.si_pid == c);

	struct user_regs_struct regs;
	err("getregs", ptrace(PTRACE_GETREGS, c, 0, &regs));
	printf("orig_rax is tgkill %d, rax %lld, cs %#llx ss %#llx\n",
	       regs.orig_rax == SYS_tgkill, (long long)regs.rax, regs.cs, regs.ss);
	errno = 0;
	long rip = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, rip), 0);
	printf("peekuser rip matches %d errno %d\n", rip == (long)regs.rip, errno);
	errno = 0;
	ptrace(PTRACE_PEEKUSER, c, 3, 0);
	printf("peekuser misaligned: %s\n", strerror(errno));
	errno = 0;
	ptrace(PTRACE_PEEKUSER, c, 4096, 0);
	printf("peekuser past struct user: %s\n", strerror(errno));
	errno = 0;
	long dr7 = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user, u_debugreg[7]), 0);
	printf("peekuser dr7 %ld errno %d\n", dr7, errno);

	/* SETREGS: a round trip works; a null cs and a kernel fs_base are
	 * refused. */
	err("setregs same", ptrace(PTRACE_SETREGS, c, 0, &regs));
	struct user_regs_struct bad = regs;
	bad.cs = 0;
	err("setregs cs 0", ptrace(PTRACE_SETREGS, c, 0, &bad));
	bad = regs;
	bad.fs_base = 0xffff800000000000ULL;
	err("setregs kernel fs_base", ptrace(PTRACE_SETREGS, c, 0, &bad));
	bad = regs;
	bad.ds = 0x10; /* RPL 0 */
	err("setregs ds rpl0", ptrace(PTRACE_SETREGS, c, 0, &bad));

	errno = 0;
	long w = ptrace(PTRACE_PEEKDATA, c, &target_word, 0);
	printf("peekdata %#lx errno %d\n", w, errno);
	errno = 0;
	ptrace(PTRACE_PEEKDATA, c, (void *)8, 0);
	printf("peekdata unmapped: %s\n", strerror(errno));
	err("pokedata", ptrace(PTRACE_POKEDATA, c, &target_word, 0x0102030405060708L));
	err("pokedata unmapped", ptrace(PTRACE_POKEDATA, c, (void *)8, 1));
	errno = 0;
	long code = ptrace(PTRACE_PEEKTEXT, c, (void *)traceme, 0);
	printf("peektext matches %d errno %d\n", code == *(volatile long *)traceme, errno);
	/* Text is read-only to the child, but a tracer may write it. */
	err("poketext", ptrace(PTRACE_POKETEXT, c, (void *)traceme, code));
	err("cont bad signal", ptrace(PTRACE_CONT, c, 0, 100));

	err("cont", ptrace(PTRACE_CONT, c, 0, 0));
	waitpid(c, &st, 0);
	show_status("usr1 stop", st);
	err("cont with SIGUSR2", ptrace(PTRACE_CONT, c, 0, SIGUSR2));
	waitpid(c, &st, 0);
	show_status("second usr1 stop", st);
	err("cont suppressing", ptrace(PTRACE_CONT, c, 0, 0));
	waitpid(c, &st, 0);
	show_status("traceme end", st);
	err("cont after exit", ptrace(PTRACE_CONT, c, 0, 0));
}

static void attach(void) {
	int p[2];
	if (pipe(p) < 0) { perror("pipe"); exit(1); }
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(p[1]);
		ssize_t n = read(p[0], &b, 1);
		_exit(n == 1 ? b : 99);
	}
	close(p[0]);
	err("getregs before attach", ptrace(PTRACE_GETREGS, c, 0, 0));
	/* Let the child block in read; whether it has yet does not change
	 * what is printed. */
	usleep(100000);
	err("attach", ptrace(PTRACE_ATTACH, c, 0, 0));
	err("attach twice", ptrace(PTRACE_ATTACH, c, 0, 0));
	int st;
	if (waitpid(c, &st, 0) != c) { perror("waitpid"); exit(1); }
	show_status("attach stop", st);
	struct user_regs_struct regs;
	err("getregs", ptrace(PTRACE_GETREGS, c, 0, &regs));
	printf("in read %d, rax %lld\n", regs.orig_rax == SYS_read, (long long)regs.rax);
	siginfo_t si;
	err("getsiginfo", ptrace(PTRACE_GETSIGINFO, c, 0, &si));
	printf("siginfo signo %d code %d\n", si.si_signo, si.si_code);
	err("detach", ptrace(PTRACE_DETACH, c, 0, 0));
	err("cont after detach", ptrace(PTRACE_CONT, c, 0, 0));
	if (write(p[1], "\x2a", 1) != 1) { perror("write"); exit(1); }
	waitpid(c, &st, 0);
	show_status("attached child", st);
}

static void kill_tracee(void) {
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(3);
	}
	int st;
	waitpid(c, &st, 0);
	show_status("kill stop", st);
	err("interrupt not seized", ptrace(PTRACE_INTERRUPT, c, 0, 0));
	err("listen not seized", ptrace(PTRACE_LISTEN, c, 0, 0));
	err("detach bad signal", ptrace(PTRACE_DETACH, c, 0, 100));
	err("unknown request", syscall(SYS_ptrace, 0x7777, c, 0, 0));
	err("seize with addr", ptrace(PTRACE_SEIZE, c, 1, 0));
	err("seize bad options", ptrace(PTRACE_SEIZE, c, 0, 0x80000000L));
	err("seize traced", ptrace(PTRACE_SEIZE, c, 0, 0));
	unsigned long m = 99;
	err("geteventmsg", ptrace(PTRACE_GETEVENTMSG, c, 0, &m));
	printf("event message at a signal stop %lu\n", m);
	err("getsiginfo bad address", ptrace(PTRACE_GETSIGINFO, c, 0, (void *)8));
	err("kill", ptrace(PTRACE_KILL, c, 0, 0));
	waitpid(c, &st, 0);
	show_status("killed", st);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	err("cont non-tracee", ptrace(PTRACE_CONT, getpid(), 0, 0));
	err("attach self", ptrace(PTRACE_ATTACH, getpid(), 0, 0));
	err("attach missing", ptrace(PTRACE_ATTACH, 999999, 0, 0));
	err("peek non-tracee", ptrace(PTRACE_PEEKDATA, getppid(), 0, 0));
	traceme();
	attach();
	kill_tracee();
	return 0;
}
