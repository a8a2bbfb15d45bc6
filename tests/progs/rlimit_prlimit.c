/* prlimit64 on other processes: the caller's real uid and gid must equal
 * the target's real, effective and saved ids (or it has
 * CAP_SYS_RESOURCE); reading needs the same; ESRCH for a gone pid;
 * EINVAL for a bad resource or soft > hard; raising the hard limit needs
 * CAP_SYS_RESOURCE; RLIMIT_NOFILE above fs.nr_open is EPERM even for
 * root. The program drops CAP_SYS_RESOURCE from its effective set first
 * (the host's root may lack it), so root is refused too. Every child only
 * waits or exits; none forks. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	}
	return strerror(e);
}

static int pl(pid_t pid, unsigned res, const struct rlimit *nl, struct rlimit *ol) {
	long r = syscall(SYS_prlimit64, pid, res, nl, ol);
	return r < 0 ? errno : 0;
}

/* waiter forks a child with the given ids that waits until fd closes;
 * it returns once the child has its ids. */
static pid_t waiter(int rfd, int wfd, uid_t r, uid_t e, uid_t s, gid_t g) {
	int ready[2];
	if (pipe(ready) < 0) exit(1);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		close(wfd);
		close(ready[0]);
		if (setresgid(g, g, g) < 0 || setresuid(r, e, s) < 0) _exit(2);
		close(ready[1]);
		char c;
		while (read(rfd, &c, 1) > 0) {}
		_exit(0);
	}
	close(ready[1]);
	char c;
	while (read(ready[0], &c, 1) > 0) {}
	close(ready[0]);
	return p;
}

/* as runs fn in a child with uid and gid u/g and prints its result. */
static void as(const char *what, uid_t u, gid_t g, pid_t target, int res, const struct rlimit *nl, int wantold) {
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0) _exit(2);
		struct rlimit ol;
		int e = pl(target, res, nl, wantold ? &ol : NULL);
		printf("%s: %s\n", what, en(e));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("%s: child status %x\n", what, st);
}

/* check prints target's RLIMIT_CORE as a child with its ids reads it. */
static void check(pid_t target, const char *what) {
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) _exit(2);
		struct rlimit ol;
		int e = pl(target, RLIMIT_CORE, NULL, &ol);
		printf("%s: %s %ld %ld\n", what, en(e), (long)ol.rlim_cur, (long)ol.rlim_max);
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, NULL, 0);
}

int main(void) {
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	struct { uint32_t version; int pid; } h = {0x20080522, 0};
	struct { uint32_t effective, permitted, inheritable; } d[2];
	if (syscall(SYS_capget, &h, d) < 0) { perror("capget"); return 1; }
	d[0].effective &= ~(1u << 24 /* CAP_SYS_RESOURCE */);
	if (syscall(SYS_capset, &h, d) < 0) { perror("capset"); return 1; }
	struct rlimit rl, ol;
	printf("self read: %s\n", en(pl(0, RLIMIT_NOFILE, NULL, &ol)));
	printf("self by pid: %s\n", en(pl(getpid(), RLIMIT_NOFILE, NULL, &rl)));
	printf("same: %d\n", rl.rlim_cur == ol.rlim_cur && rl.rlim_max == ol.rlim_max);
	printf("resource 16: %s\n", en(pl(0, 16, NULL, &ol)));
	printf("resource -1: %s\n", en(pl(0, (unsigned)-1, NULL, &ol)));
	printf("bad new pointer: %s\n", en(pl(0, RLIMIT_CORE, (void *)8, NULL)));
	rl.rlim_cur = 10;
	rl.rlim_max = 5;
	printf("soft > hard: %s\n", en(pl(0, RLIMIT_CORE, &rl, NULL)));
	rl.rlim_cur = rl.rlim_max = (1 << 20) + 1;
	printf("nofile above nr_open: %s\n", en(pl(0, RLIMIT_NOFILE, &rl, NULL)));

	fflush(stdout);
	pid_t gone = fork();
	if (gone == 0) _exit(0);
	waitpid(gone, NULL, 0);
	printf("reaped pid: %s\n", en(pl(gone, RLIMIT_CORE, NULL, &ol)));

	int fds[2];
	if (pipe(fds) < 0) return 1;
	pid_t a = waiter(fds[0], fds[1], 65534, 65534, 65534, 65534);
	pid_t b = waiter(fds[0], fds[1], 65534, 65534, 65533, 65534);
	pid_t c = waiter(fds[0], fds[1], 65534, 65534, 65534, 65533);

	/* Root without CAP_SYS_RESOURCE is refused as anyone else. */
	rl.rlim_cur = 100;
	rl.rlim_max = 200;
	printf("root sets a: %s\n", en(pl(a, RLIMIT_CORE, &rl, &ol)));
	printf("root reads a: %s\n", en(pl(a, RLIMIT_CORE, NULL, &ol)));
	as("same ids set a", 65534, 65534, a, RLIMIT_CORE, &rl, 0);
	as("same ids read a", 65534, 65534, a, RLIMIT_CORE, NULL, 1);

	/* Same ids: reading and lowering work; raising the hard limit not. */
	as("same ids read a", 65534, 65534, a, RLIMIT_CORE, NULL, 1);
	rl.rlim_cur = 50;
	rl.rlim_max = 150;
	as("same ids lower a", 65534, 65534, a, RLIMIT_CORE, &rl, 0);
	rl.rlim_max = 300;
	as("same ids raise a's hard limit", 65534, 65534, a, RLIMIT_CORE, &rl, 0);
	rl.rlim_cur = 160;
	rl.rlim_max = 150;
	as("same ids soft > hard", 65534, 65534, a, RLIMIT_CORE, &rl, 0);
	as("same ids resource 16", 65534, 65534, a, 16, NULL, 1);
	check(a, "a after lowering");

	/* Any differing id refuses, reading included. */
	as("other uid read a", 65533, 65534, a, RLIMIT_CORE, NULL, 1);
	as("other gid read a", 65534, 65533, a, RLIMIT_CORE, NULL, 1);
	as("read b (saved uid differs)", 65534, 65534, b, RLIMIT_CORE, NULL, 1);
	as("read c (gids differ)", 65534, 65534, c, RLIMIT_CORE, NULL, 1);
	as("other uid neither", 65533, 65534, a, RLIMIT_CORE, NULL, 0);
	as("other uid resource 16", 65533, 65534, a, 16, NULL, 1);
	as("other uid reaped pid", 65533, 65534, gone, RLIMIT_CORE, NULL, 1);

	close(fds[1]);
	int st, bad = 0;
	pid_t all[3] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		waitpid(all[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
	}
	printf("waiters failed: %d\n", bad);
	return 0;
}
