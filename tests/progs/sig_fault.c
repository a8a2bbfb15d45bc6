/* Signals from faults: a SIGSEGV handler that siglongjmps out (with
 * si_addr and si_code), SIGFPE from division by zero, SIGILL from ud2,
 * SIGTRAP from int3, and a stack overflow caught on an alternate stack. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int caught_sig, caught_code;
static void *volatile caught_addr;
static volatile int on_alt;
static char *altbase;
static size_t altsize;

static void handler(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	caught_sig = sig;
	caught_code = si->si_code;
	caught_addr = si->si_addr;
	char probe;
	on_alt = altbase && &probe >= altbase && &probe < altbase + altsize;
	siglongjmp(env, 1);
}

static int recurse(int n) {
	volatile char pad[512];
	pad[0] = (char)n;
	return recurse(n + 1) + pad[0];
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);

	volatile int *bad = (int *)0x1000;
	if (sigsetjmp(env, 1) == 0) {
		*bad = 1;
	}
	printf("NULL-ish write: sig %d code %s addr ok %d\n", caught_sig, caught_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other", caught_addr == (void *)bad);

	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sigsetjmp(env, 1) == 0) {
		ro[8] = 1;
	}
	printf("read-only write: sig %d code %s addr ok %d\n", caught_sig, caught_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other", caught_addr == ro + 8);

	/* the handler ran with the signal blocked; siglongjmp restored the mask */
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));

	volatile int zero = 0;
	if (sigsetjmp(env, 1) == 0) {
		volatile int x = 10 / zero;
		(void)x;
	}
	printf("divide by zero: sig %d code %s\n", caught_sig, caught_code == FPE_INTDIV ? "FPE_INTDIV" : "other");

	if (sigsetjmp(env, 1) == 0) {
		__asm__ volatile("ud2");
	}
	printf("ud2: sig %d code %s\n", caught_sig, caught_code == ILL_ILLOPN ? "ILL_ILLOPN" : "other");

	if (sigsetjmp(env, 1) == 0) {
		__asm__ volatile("int3");
	}
	printf("int3: sig %d code %d\n", caught_sig, caught_code);

	altsize = 64 * 1024;
	altbase = malloc(altsize);
	stack_t ss = {.ss_sp = altbase, .ss_size = altsize, .ss_flags = 0};
	sigaltstack(&ss, NULL);
	on_alt = 0;
	if (sigsetjmp(env, 1) == 0) {
		recurse(0);
	}
	printf("stack overflow: sig %d on alternate stack %d\n", caught_sig, on_alt);
	return 0;
}
