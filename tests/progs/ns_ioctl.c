/* The ioctls of namespace files: NS_GET_NSTYPE, NS_GET_USERNS,
 * NS_GET_PARENT and NS_GET_OWNER_UID on the caller's namespaces and on a
 * child's new user namespace, with their EINVAL/EPERM/ENOTTY cases. */
#include "file_common.h"
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/wait.h>

#define NS_GET_USERNS 0xb701
#define NS_GET_PARENT 0xb702
#define NS_GET_NSTYPE 0xb703
#define NS_GET_OWNER_UID 0xb704

static ino_t ino_of_fd(int fd) {
	struct stat st;
	return fstat(fd, &st) < 0 ? 0 : st.st_ino;
}

static ino_t ino_of(const char *p) {
	struct stat st;
	return stat(p, &st) < 0 ? 0 : st.st_ino;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int uts = open("/proc/self/ns/uts", O_RDONLY);
	int user = open("/proc/self/ns/user", O_RDONLY);
	printf("NS_GET_NSTYPE uts %#lx user %#lx\n", (long)ioctl(uts, NS_GET_NSTYPE), (long)ioctl(user, NS_GET_NSTYPE));
	int owner = ioctl(uts, NS_GET_USERNS);
	printf("NS_GET_USERNS of uts is our user ns: %d\n", owner >= 0 && ino_of_fd(owner) == ino_of("/proc/self/ns/user"));
	CHECK("NS_GET_PARENT of uts", ioctl(uts, NS_GET_PARENT));
	CHECK("NS_GET_PARENT of initial user ns", ioctl(user, NS_GET_PARENT));
	CHECK("NS_GET_USERNS of initial user ns", ioctl(user, NS_GET_USERNS));
	unsigned uid = 12345;
	CHECK("NS_GET_OWNER_UID of uts", ioctl(uts, NS_GET_OWNER_UID, &uid));
	CHECK("NS_GET_OWNER_UID bad pointer", ioctl(user, NS_GET_OWNER_UID, bad));
	CHECK("unknown ioctl", ioctl(uts, 0xb7ff));
	if (geteuid() != 0) return 0;

	int ready[2], go[2];
	if (pipe(ready) < 0 || pipe(go) < 0) return 1;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char x;
		setgroups(0, NULL);
		setgid(1000);
		setuid(1000);
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		int parent = open("/proc/self/ns/user", O_RDONLY);
		unshare(CLONE_NEWUSER);
		int mine = open("/proc/self/ns/user", O_RDONLY);
		CHECK("child: NS_GET_PARENT of own ns", ioctl(mine, NS_GET_PARENT));
		CHECK("child: NS_GET_OWNER_UID of own ns", ioctl(mine, NS_GET_OWNER_UID, &uid));
		printf("child: owner uid %u\n", uid);
		CHECK("child: NS_GET_USERNS of parent ns", ioctl(parent, NS_GET_USERNS));
		write(ready[1], "r", 1);
		read(go[0], &x, 1);
		fflush(stdout);
		_exit(0);
	}
	char x, path[64];
	read(ready[0], &x, 1);
	snprintf(path, sizeof path, "/proc/%d/ns/user", c);
	int cu = open(path, O_RDONLY);
	CHECK("NS_GET_OWNER_UID of child's ns", ioctl(cu, NS_GET_OWNER_UID, &uid));
	printf("owner uid %u\n", uid);
	int p = ioctl(cu, NS_GET_PARENT);
	printf("NS_GET_PARENT of child's ns is ours: %d\n", p >= 0 && ino_of_fd(p) == ino_of("/proc/self/ns/user"));
	int o = ioctl(cu, NS_GET_USERNS);
	printf("NS_GET_USERNS of child's ns is ours: %d\n", o >= 0 && ino_of_fd(o) == ino_of("/proc/self/ns/user"));
	write(go[1], "g", 1);
	waitpid(c, NULL, 0);
	return 0;
}
