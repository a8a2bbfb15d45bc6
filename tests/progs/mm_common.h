/* Helpers shared by the mm_* and mmap_* differential tests: touch one
 * byte of a mapping and name the signal the access raised. The program
 * installs onsig for SIGBUS and SIGSEGV. */
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf jb;
static volatile int lastsig;

static void onsig(int sig) {
	lastsig = sig;
	siglongjmp(jb, 1);
}

/* probe reads (or writes) one byte and names the signal it got. */
static const char *probe(volatile char *p, int write) {
	lastsig = 0;
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*p = 'w';
		else
			(void)*p;
		return "ok";
	}
	return lastsig == SIGBUS ? "SIGBUS" : lastsig == SIGSEGV ? "SIGSEGV" : "signal";
}
