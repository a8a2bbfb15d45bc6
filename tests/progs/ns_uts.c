/* UTS namespaces: unshare(CLONE_NEWUTS), sethostname/setdomainname and
 * their errors, /proc/self/ns/uts identity, setns back through a saved
 * namespace fd, and the EPERM of an unprivileged caller. Run as a user, the privileged
 * steps meet the unprivileged errors. */
#include "file_common.h"
#include <sched.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static void child(void (*fn)(void)) {
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

static ino_t nsino(const char *p) {
	struct stat st;
	if (stat(p, &st) < 0) return 0;
	return st.st_ino;
}

static char orig[65], origdomain[65];

static void newuts(void) {
	int saved = open("/proc/self/ns/uts", O_RDONLY);
	CHECKOK("open ns/uts", saved);
	ino_t before = nsino("/proc/self/ns/uts");
	struct stat fst;
	fstat(saved, &fst);
	printf("fd inode matches link: %d\n", fst.st_ino == before);
	CHECK("unshare(CLONE_NEWUTS)", unshare(CLONE_NEWUTS));
	printf("inode changed: %d\n", nsino("/proc/self/ns/uts") != before);
	char link[64] = {0};
	readlink("/proc/self/ns/uts", link, sizeof link - 1);
	printf("link prefix ok: %d\n", strncmp(link, "uts:[", 5) == 0);
	CHECK("sethostname", sethostname("kite-test", 9));
	CHECK("setdomainname", setdomainname("example", 7));
	struct utsname u;
	uname(&u);
	/* Unprivileged, nothing changed: the names are the machine's. */
	printf("nodename %s domainname %s\n", strcmp(u.nodename, orig) ? u.nodename : "(the original)",
	       strcmp(u.domainname, origdomain) ? u.domainname : "(the original)");
	char big[80];
	memset(big, 'x', sizeof big);
	CHECK("sethostname 65", sethostname(big, 65));
	CHECK("sethostname 64", sethostname(big, 64));
	CHECK("sethostname -1", sethostname(big, -1));
	CHECK("sethostname bad", sethostname(bad, 5));
	CHECK("sethostname empty", sethostname("", 0));
	uname(&u);
	printf("nodename '%s'\n", strcmp(u.nodename, orig) ? u.nodename : "(the original)");
	CHECK("setns wrong type", setns(saved, CLONE_NEWIPC));
	CHECK("setns not a namespace", setns(1, 0));
	CHECK("setns bad fd", setns(-1, 0));
	CHECK("setns back", setns(saved, CLONE_NEWUTS));
	uname(&u);
	printf("back to original: %d\n", strcmp(u.nodename, orig) == 0);
	printf("inode restored: %d\n", nsino("/proc/self/ns/uts") == before);
}

static void unprivileged(void) {
	setgroups(0, NULL);
	setgid(1000);
	setuid(1000);
	CHECK("unshare(CLONE_NEWUTS) unprivileged", unshare(CLONE_NEWUTS));
	CHECK("sethostname unprivileged", sethostname("x", 1));
	CHECK("setdomainname unprivileged", setdomainname("x", 1));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct utsname u;
	uname(&u);
	strcpy(orig, u.nodename);
	strcpy(origdomain, u.domainname);
	child(newuts);
	uname(&u);
	printf("parent unchanged: %d\n", strcmp(u.nodename, orig) == 0);
	child(unprivileged);
	CHECK("unshare bad flag", unshare(0x1));
	CHECK("unshare(0)", unshare(0));
	return 0;
}
