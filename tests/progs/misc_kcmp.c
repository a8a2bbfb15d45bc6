/* kcmp(2): which resources threads, forked children, CLONE_FILES and
 * CLONE_VM children share; file descriptions (dup vs a second open);
 * the files an epoll instance watches (KCMP_EPOLL_TFD);
 * the errors (no such task, bad fd, bad type, another user's process).
 * Only equality is printed: the order of unequal objects is scrambled. */
#include "misc_common.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#define KCMP_FILE 0
#define KCMP_VM 1
#define KCMP_FILES 2
#define KCMP_FS 3
#define KCMP_SIGHAND 4
#define KCMP_IO 5
#define KCMP_SYSVSEM 6
#define KCMP_EPOLL_TFD 7

static const char *names[] = {"FILE", "VM", "FILES", "FS", "SIGHAND", "IO", "SYSVSEM"};

static void cmp(const char *label, pid_t a, pid_t b, int type, long i1, long i2) {
	errno = 0;
	long r = syscall(SYS_kcmp, a, b, type, i1, i2);
	if (r < 0) printf("%s %s: -1 %s\n", label, type < 7 ? names[type] : "?", errname(errno));
	else printf("%s %s: %s\n", label, type < 7 ? names[type] : "?", r == 0 ? "equal" : (r == 1 || r == 2) ? "differ" : "bad value");
}

/* Linux's struct kcmp_epoll_slot: three __u32. */
struct kcmp_epoll_slot {
	unsigned int efd, tfd, toff;
};

static void epcmp(const char *label, pid_t a, pid_t b, long fd, void *slot) {
	errno = 0;
	long r = syscall(SYS_kcmp, a, b, KCMP_EPOLL_TFD, fd, slot);
	if (r < 0) printf("%s EPOLL_TFD: -1 %s\n", label, errname(errno));
	else printf("%s EPOLL_TFD: %s\n", label, r == 0 ? "equal" : (r == 1 || r == 2) ? "differ" : "bad value");
}

static void all(const char *label, pid_t a, pid_t b) {
	for (int type = KCMP_VM; type <= KCMP_SYSVSEM; type++)
		cmp(label, a, b, type, 0, 0);
}

static volatile pid_t thread_tid;
static int hold[2];

static void *thread_fn(void *arg) {
	(void)arg;
	thread_tid = gettid();
	char c;
	read(hold[0], &c, 1);
	return NULL;
}

static char stack[65536];
static int clone_fn(void *arg) {
	(void)arg;
	char c;
	read(hold[0], &c, 1);
	return 0;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t me = getpid();
	all("self", me, me);
	int fd = open("/proc/self/status", O_RDONLY);
	int dupfd = dup(fd);
	int other = open("/proc/self/status", O_RDONLY);
	cmp("fd vs dup", me, me, KCMP_FILE, fd, dupfd);
	cmp("fd vs second open", me, me, KCMP_FILE, fd, other);
	cmp("bad fd", me, me, KCMP_FILE, fd, 999);
	cmp("negative fd", me, me, KCMP_FILE, -1, fd);

	/* Regular files cannot be watched: eventfds then. */
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	close(fd);
	close(dupfd);
	close(other);
	fd = eventfd(0, 0);
	dupfd = dup(fd);
	other = eventfd(0, 0);
	CHECK("add fd", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK("add second", epoll_ctl(ep, EPOLL_CTL_ADD, other, &ev));
	struct kcmp_epoll_slot slot = {ep, fd, 0};
	epcmp("fd vs its epoll item", me, me, fd, &slot);
	epcmp("dup vs the item", me, me, dupfd, &slot);
	epcmp("other eventfd vs the item", me, me, other, &slot);
	slot.tfd = other;
	epcmp("other eventfd vs its item", me, me, other, &slot);
	slot.toff = 1;
	epcmp("toff past the items", me, me, other, &slot);
	slot.toff = 0;
	slot.tfd = dupfd;
	epcmp("fd not in the set", me, me, fd, &slot);
	epoll_ctl(ep, EPOLL_CTL_ADD, dupfd, &ev);
	epcmp("dup added too", me, me, fd, &slot);
	slot.efd = fd;
	epcmp("efd not epoll", me, me, fd, &slot);
	slot.efd = 999;
	epcmp("bad efd", me, me, fd, &slot);
	epcmp("bad slot pointer", me, me, fd, NULL);
	/* The slot is 12 bytes: what follows it is not read, even when it
	 * is not mapped. */
	char *pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(pg + 4096, 4096, PROT_NONE);
	struct kcmp_epoll_slot *end = (void *)(pg + 4096 - sizeof *end);
	end->efd = ep, end->tfd = fd, end->toff = 0;
	epcmp("slot at the end of the memory", me, me, fd, end);
	unsigned int words[4] = {ep, fd, 0, 0xffffffff};
	epcmp("slot followed by other data", me, me, fd, words);
	epcmp("slot 4 bytes short of the memory", me, me, fd, pg + 4096 - 8);
	munmap(pg, 8192);
	epcmp("bad idx1", me, me, 999, &slot);
	CHECK("bad type", syscall(SYS_kcmp, me, me, 8, 0, 0));
	CHECK("type -1", syscall(SYS_kcmp, me, me, -1, 0, 0));
	CHECK("no such pid", syscall(SYS_kcmp, me, 999999, KCMP_VM, 0, 0));
	CHECK("pid 0", syscall(SYS_kcmp, 0, me, KCMP_VM, 0, 0));

	pipe(hold);
	pthread_t th;
	pthread_create(&th, NULL, thread_fn, NULL);
	while (!thread_tid) sched_yield();
	all("thread", me, thread_tid);

	pid_t pid = fork();
	if (pid == 0) {
		char c;
		read(hold[0], &c, 1);
		_exit(0);
	}
	all("fork child", me, pid);
	cmp("fork child inherited fd", me, pid, KCMP_FILE, fd, fd);

	pid_t c1 = clone(clone_fn, stack + sizeof stack, CLONE_FILES | CLONE_FS | SIGCHLD, NULL);
	all("CLONE_FILES|CLONE_FS child", me, c1);
	static char stack2[65536];
	pid_t c2 = clone(clone_fn, stack2 + sizeof stack2, CLONE_VM | CLONE_SIGHAND | CLONE_IO | SIGCHLD, NULL);
	all("CLONE_VM|CLONE_SIGHAND|CLONE_IO child", me, c2);

	/* Another user may not compare our process. */
	int res[2];
	pipe(res);
	pid_t u = fork();
	if (u == 0) {
		if (setgid(65534) || setuid(65534)) _exit(2);
		cmp("other user: parent", getppid(), getpid(), KCMP_VM, 0, 0);
		cmp("other user: self", getpid(), getpid(), KCMP_VM, 0, 0);
		_exit(0);
	}
	waitchild("other user", u);

	write(hold[1], "xxxx", 4);
	pthread_join(th, NULL);
	waitchild("fork child", pid);
	waitchild("clone files child", c1);
	waitchild("clone vm child", c2);
	return 0;
}
