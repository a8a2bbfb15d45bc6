/* set*id calls from root down to an unprivileged user, with the EPERM
 * cases once privilege is gone. Each scenario runs in a child. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what) {
	uid_t r, e, s;
	gid_t rg, eg, sg;
	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	printf("%s: uid %d/%d/%d gid %d/%d/%d\n", what, r, e, s, rg, eg, sg);
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); int e_ = errno; printf("%s = %ld %s\n", name, r_, r_ < 0 ? (e_ == EPERM ? "EPERM" : e_ == EINVAL ? "EINVAL" : "other") : ""); } while (0)

static void run(void (*fn)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
}

static void drop_all(void) {
	TRY("setgroups(0)", setgroups(0, NULL));
	TRY("setgid(1000)", setgid(1000));
	TRY("setuid(1000)", setuid(1000));
	show("after setuid");
	TRY("setuid(0) unprivileged", setuid(0));
	TRY("setgid(0) unprivileged", setgid(0));
	TRY("setgroups unprivileged", setgroups(0, NULL));
	TRY("setresuid(-1,-1,-1)", setresuid(-1, -1, -1));
	TRY("setuid(-1)", setuid(-1));
}

static void keep_saved(void) {
	TRY("setresuid(1000,1000,0)", setresuid(1000, 1000, 0));
	show("saved root");
	TRY("seteuid(0) back", seteuid(0));
	show("euid restored");
	TRY("setreuid(2000,3000)", setreuid(2000, 3000));
	show("after setreuid");
	TRY("setreuid(-1,0) unprivileged", setreuid(-1, 0));
}

static void fsids(void) {
	printf("setfsuid(1234) old %d\n", setfsuid(1234));
	printf("setfsuid(-1) now %d\n", setfsuid(-1));
	TRY("setresgid(5,6,7)", setresgid(5, 6, 7));
	show("resgid");
	TRY("setregid(8,-1)", setregid(8, -1));
	show("regid");
}

int main(void) {
	show("start");
	run(drop_all);
	run(keep_saved);
	run(fsids);
	return 0;
}
