/* clone and clone3 with namespace flags: a child in new UTS, IPC, mount
 * and user namespaces (its hostname, ids and links differ from the
 * parent's), and the flag combinations Linux refuses. */
#include "file_common.h"
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static char stack[1 << 16];

/* struct clone_args (musl has no linux/sched.h). */
struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static ino_t nsino(const char *p) {
	struct stat st;
	return stat(p, &st) < 0 ? 0 : st.st_ino;
}

static ino_t parent_uts, parent_user, parent_ipc, parent_mnt;

static int child(void *arg) {
	(void)arg;
	printf("child: uid %d euid %d\n", getuid(), geteuid());
	printf("child: new uts %d user %d ipc %d mnt %d\n", nsino("/proc/self/ns/uts") != parent_uts,
	       nsino("/proc/self/ns/user") != parent_user, nsino("/proc/self/ns/ipc") != parent_ipc,
	       nsino("/proc/self/ns/mnt") != parent_mnt);
	CHECK("child sethostname", sethostname("clone-child", 11));
	struct utsname u;
	uname(&u);
	printf("child: nodename %s\n", u.nodename);
	fflush(stdout);
	return 0;
}

static void try(const char *what, int flags) {
	errno = 0;
	pid_t c = clone(child, stack + sizeof stack, flags | SIGCHLD, NULL);
	if (c < 0) {
		printf("%s: -1 %s\n", what, errname(errno));
		return;
	}
	int st;
	waitpid(c, &st, 0);
	printf("%s: child exited %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	parent_uts = nsino("/proc/self/ns/uts");
	parent_user = nsino("/proc/self/ns/user");
	parent_ipc = nsino("/proc/self/ns/ipc");
	parent_mnt = nsino("/proc/self/ns/mnt");
	struct utsname before, after;
	uname(&before);
	fflush(stdout);
	try("clone all four", CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWUSER);
	uname(&after);
	printf("parent hostname unchanged: %d\n", strcmp(before.nodename, after.nodename) == 0);
	try("NEWUSER|FS", CLONE_NEWUSER | CLONE_FS);
	try("NEWNS|FS", CLONE_NEWNS | CLONE_FS);

	struct clone_args_ ca = {0};
	ca.flags = CLONE_NEWUTS | CLONE_NEWUSER;
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	pid_t c = syscall(SYS_clone3, &ca, sizeof ca);
	if (c == 0) {
		struct utsname u;
		sethostname("clone3-child", 12);
		uname(&u);
		printf("clone3 child: %s uid %d\n", u.nodename, getuid());
		fflush(stdout);
		_exit(0);
	}
	if (c < 0) printf("clone3: %s\n", errname(errno));
	else waitpid(c, NULL, 0);
	return 0;
}
