/* rseq(2) critical sections: a signal the thread sends itself from inside
 * one moves it to the abort handler (the handler's frame already points
 * there) and clears rseq_cs; a fault inside one does too; a descriptor
 * left set outside its section is cleared at the next signal; a section
 * run without interruption commits. Linux kills with SIGSEGV when the
 * descriptor is wrong (signature, abort handler inside the section,
 * version, address, deprecated NO_RESTART flags, flags in the area) once
 * a signal makes it look. */
#include "rseq_common.h"
#include <ucontext.h>

/* cs_run(rseq_cs field, descriptor, tgid, tid, what): stores the
 * descriptor into the area's rseq_cs, then inside the section sends
 * SIGUSR1 to the thread (what 1) or reads address 8 (what 2); returns 1
 * when the section commits, 0 from the abort handler. The abort handler
 * is preceded by the signature (the last four bytes of a ud1
 * instruction), as Linux requires. cs_badsig is a second exit with no
 * signature before it. */
long cs_run(uint64_t *csfield, struct trseq_cs *cs, long tgid, long tid, long what);
extern char cs_start[], cs_end[], cs_abort[], cs_badsig[];
__asm__(
	".text\n"
	".globl cs_run\n"
	".type cs_run, @function\n"
	"cs_run:\n"
	"	movq %r8, %r9\n"
	"	movq %rsi, (%rdi)\n"
	".globl cs_start\n"
	"cs_start:\n"
	"	cmpq $1, %r9\n"
	"	jne 1f\n"
	"	movl $234, %eax\n"          /* tgkill(tgid, tid, SIGUSR1) */
	"	movq %rdx, %rdi\n"
	"	movq %rcx, %rsi\n"
	"	movl $10, %edx\n"
	"	syscall\n"
	"1:	cmpq $2, %r9\n"
	"	jne 2f\n"
	"	movq 8, %rax\n"
	"2:	movl $1, %eax\n"
	".globl cs_end\n"
	"cs_end:\n"
	"	ret\n"
	"	.byte 0x0f, 0xb9, 0x3d\n"
	"	.long 0x53053053\n"
	".globl cs_abort\n"
	"cs_abort:\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	"	nop\n"
	".globl cs_badsig\n"
	"cs_badsig:\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".size cs_run, .-cs_run\n");

static volatile uint64_t handler_rip;
static volatile int handled;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
	(void)sig; (void)si;
	handler_rip = ((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
	handled++;
}

/* A SIGSEGV from reading address 8 inside the section: the frame points
 * at the abort handler, so returning from the handler aborts. */
static void on_segv(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	handler_rip = ((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
	handled = si->si_addr == (void *)8 ? 100 : 200;
	if (handler_rip != (uint64_t)cs_abort) _exit(3);
}

static struct trseq_cs desc;

static void set_desc(uint64_t abort_ip) {
	desc.version = 0;
	desc.flags = 0;
	desc.start_ip = (uint64_t)cs_start;
	desc.post_commit_offset = (uint64_t)(cs_end - cs_start);
	desc.abort_ip = abort_ip;
}

static long tid(void) { return syscall(SYS_gettid); }

/* expect_segv runs f in a child with the area inherited through fork and
 * prints how the child ended. */
static void expect_segv(const char *label, void (*f)(struct trseq *)) {
	struct trseq *a = thread_area();
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		f(a);
		_exit(0);
	}
	waitchild(label, pid);
}

static void in_cs(struct trseq *a) { cs_run(&a->rseq_cs, &desc, getpid(), tid(), 1); }
static void bad_signature(struct trseq *a) { set_desc((uint64_t)cs_badsig); in_cs(a); }
static void abort_inside(struct trseq *a) { set_desc((uint64_t)cs_start + 2); in_cs(a); }
static void version1(struct trseq *a) { set_desc((uint64_t)cs_abort); desc.version = 1; in_cs(a); }
static void flag_signal(struct trseq *a) { set_desc((uint64_t)cs_abort); desc.flags = 2; in_cs(a); }
static void flag_preempt(struct trseq *a) { set_desc((uint64_t)cs_abort); desc.flags = 1; in_cs(a); }
static void area_flags(struct trseq *a) { set_desc((uint64_t)cs_abort); a->flags = 2; in_cs(a); }
static void outside_bad_signature(struct trseq *a) {
	set_desc((uint64_t)cs_badsig);
	a->rseq_cs = (uint64_t)&desc;
	syscall(SYS_tgkill, getpid(), tid(), SIGUSR1);
}
static void outside_flags(struct trseq *a) {
	set_desc((uint64_t)cs_abort);
	desc.flags = 2;
	a->rseq_cs = (uint64_t)&desc;
	syscall(SYS_tgkill, getpid(), tid(), SIGUSR1);
	a->rseq_cs = 0;
}
static void outside_kernel_address(struct trseq *a) {
	a->rseq_cs = 0xffff800000000000ULL;
	syscall(SYS_tgkill, getpid(), tid(), SIGUSR1);
}
static void outside_unmapped(struct trseq *a) {
	a->rseq_cs = 64;
	syscall(SYS_tgkill, getpid(), tid(), SIGUSR1);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	struct trseq *a = thread_area();
	if (!a) { printf("no rseq area: %s\n", errname(errno)); return 1; }
	struct sigaction sa = {0};
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	/* Uninterrupted, the section commits (a preemption may abort a
	 * try: one commit in many tries is certain). */
	set_desc((uint64_t)cs_abort);
	int commits = 0;
	for (int i = 0; i < 1000 && !commits; i++)
		commits += cs_run(&a->rseq_cs, &desc, getpid(), tid(), 0) == 1;
	printf("uninterrupted section commits: %s\n", commits ? "yes" : "no");

	/* A signal sent from inside (a preemption before the signal is sent
	 * aborts the try without it: try again). */
	long r = 1;
	for (int i = 0; i < 1000; i++) {
		a->rseq_cs = 0;
		handled = 0;
		r = cs_run(&a->rseq_cs, &desc, getpid(), tid(), 1);
		if (handled) break;
	}
	printf("signalled section: %s, handler ran %d, its frame at the abort handler: %s, rseq_cs cleared: %s\n",
		r ? "committed" : "aborted", handled, handler_rip == (uint64_t)cs_abort ? "yes" : "no",
		a->rseq_cs == 0 ? "yes" : "no");

	/* A descriptor left set (as after a commit), the signal outside. */
	a->rseq_cs = (uint64_t)&desc;
	handled = 0;
	syscall(SYS_tgkill, getpid(), tid(), SIGUSR1);
	printf("signal outside: handler ran %d, at the abort handler: %s, rseq_cs cleared: %s\n",
		handled, handler_rip == (uint64_t)cs_abort ? "yes" : "no", a->rseq_cs == 0 ? "yes" : "no");

	/* A fault inside: SIGSEGV's frame is at the abort handler. */
	sa.sa_sigaction = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	for (int i = 0; i < 1000; i++) {
		handled = 0;
		r = cs_run(&a->rseq_cs, &desc, getpid(), tid(), 2);
		if (handled) break;
	}
	printf("faulting section: %s, handler %d, rseq_cs cleared: %s\n",
		r ? "committed" : "aborted", handled, a->rseq_cs == 0 ? "yes" : "no");
	signal(SIGSEGV, SIG_DFL);

	/* Wrong descriptors, found when the signal makes Linux look. */
	expect_segv("abort handler without the signature", bad_signature);
	expect_segv("abort handler inside the section", abort_inside);
	expect_segv("version 1", version1);
	expect_segv("NO_RESTART_ON_SIGNAL", flag_signal);
	expect_segv("NO_RESTART_ON_PREEMPT", flag_preempt);
	expect_segv("flags in the area", area_flags);
	expect_segv("outside, without the signature", outside_bad_signature);
	expect_segv("outside, NO_RESTART_ON_SIGNAL", outside_flags);
	expect_segv("outside, kernel address", outside_kernel_address);
	expect_segv("outside, unmapped descriptor", outside_unmapped);
	return 0;
}
