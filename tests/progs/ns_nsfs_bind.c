/* Bind mounts of namespace files (ip netns add, unshare --net=FILE): a
 * child's network and mount namespace files bound onto plain files keep
 * the namespaces alive after the child is gone; setns through the bound
 * files enters them (loopback still works, the child's tmpfs is still
 * mounted); the bound file has the namespace's inode number; a mount
 * namespace's own file cannot be bound into it, nor a pipe; umount takes
 * the binds away. The program works in a user and mount namespace of its
 * own, so it runs the same as root and as another user. */
#include "file_common.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void put(const char *path, const char *text) {
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		printf("write %s: %s\n", path, errname(errno));
	if (fd >= 0)
		close(fd);
}

static void touch(const char *path) {
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		printf("create %s: %s\n", path, errname(errno));
	else
		close(fd);
}

static ino_t ino(const char *path) {
	struct stat st;
	return stat(path, &st) < 0 ? 0 : st.st_ino;
}

/* loopback reports whether a UDP datagram sent to 127.0.0.1 comes back. */
static const char *loopback(void) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &n) < 0)
		return errname(errno);
	if (sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a) != 1)
		return errname(errno);
	char c;
	if (recv(s, &c, 1, 0) != 1)
		return errname(errno);
	close(s);
	return "works";
}

static char dir[] = "/tmp/kite-nsbind.XXXXXX";
static char netf[64], mntf[64], selff[64], pipef[64], tmp[64];

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (!mkdtemp(dir)) {
		printf("mkdtemp: %s\n", errname(errno));
		return 1;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		printf("unshare: %s\n", errname(errno));
		rmdir(dir);
		return 0;
	}
	char map[64];
	put("/proc/self/setgroups", "deny");
	snprintf(map, sizeof map, "0 %d 1", uid);
	put("/proc/self/uid_map", map);
	snprintf(map, sizeof map, "0 %d 1", gid);
	put("/proc/self/gid_map", map);
	CHECK("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	snprintf(netf, sizeof netf, "%s/net", dir);
	snprintf(mntf, sizeof mntf, "%s/mnt", dir);
	snprintf(selff, sizeof selff, "%s/self", dir);
	snprintf(pipef, sizeof pipef, "%s/pipe", dir);
	snprintf(tmp, sizeof tmp, "%s/t", dir);
	touch(netf);
	touch(mntf);
	touch(selff);
	touch(pipef);
	mkdir(tmp, 0755);

	int ready[2], go[2];
	if (pipe(ready) < 0 || pipe(go) < 0)
		return 2;
	pid_t c = fork();
	if (c == 0) {
		close(ready[0]);
		close(go[1]);
		if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
			printf("child unshare: %s\n", errname(errno));
			_exit(1);
		}
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		struct ifreq r;
		memset(&r, 0, sizeof r);
		strcpy(r.ifr_name, "lo");
		r.ifr_flags = IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &r) < 0)
			printf("lo up: %s\n", errname(errno));
		close(s);
		printf("child loopback: %s\n", loopback());
		if (mount("none", tmp, "tmpfs", 0, NULL) < 0)
			printf("child mount: %s\n", errname(errno));
		char f[80];
		snprintf(f, sizeof f, "%s/inside", tmp);
		touch(f);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		char x;
		while (read(go[0], &x, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	char x;
	if (read(ready[0], &x, 1) != 1) {
		int st;
		waitpid(c, &st, 0);
		return 1;
	}
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/ns/net", c);
	ino_t netino = ino(p);
	CHECK("bind the child's net namespace", mount(p, netf, NULL, MS_BIND, NULL));
	snprintf(p, sizeof p, "/proc/%d/ns/mnt", c);
	ino_t mntino = ino(p);
	/* Linux refuses to bind a mount namespace's file into one that is
	 * not older; it orders namespaces by ids that it hands out in
	 * per-CPU batches, so a namespace made later may have the lower id
	 * and the bind fails (EINVAL) now and then. Only what follows a
	 * bind that worked is printed. */
	int mntbound = mount(p, mntf, NULL, MS_BIND, NULL) == 0;
	int mntok = mntbound || errno == EINVAL;
	CHECK("bind our own mount namespace", mount("/proc/self/ns/mnt", selff, NULL, MS_BIND, NULL));
	int pp[2];
	if (pipe(pp) < 0)
		return 2;
	snprintf(p, sizeof p, "/proc/self/fd/%d", pp[0]);
	CHECK("bind a pipe", mount(p, pipef, NULL, MS_BIND, NULL));
	CHECK("bind onto a directory", mount("/proc/self/ns/net", tmp, NULL, MS_BIND, NULL));
	close(go[1]);
	int st;
	waitpid(c, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	printf("bound net file has the namespace's inode: %s\n", ino(netf) == netino ? "yes" : "no");
	if (mntbound && ino(mntf) != mntino)
		mntok = 0;
	printf("our loopback before: %s\n", loopback());
	pid_t e = fork();
	if (e == 0) {
		int fd = open(netf, O_RDONLY);
		CHECK("setns through the bound net file", setns(fd, CLONE_NEWNET));
		printf("loopback in the bound namespace: %s\n", loopback());
		if (!mntbound)
			_exit(mntok ? 0 : 1);
		/* The child's tmpfs is still mounted in its namespace. */
		fd = open(mntf, O_RDONLY);
		char f[80];
		snprintf(f, sizeof f, "%s/inside", tmp);
		if (setns(fd, CLONE_NEWNS) < 0 || access(f, F_OK) < 0)
			_exit(1);
		/* Gone before the directory is removed below (kite, unlike
		 * Linux, refuses to remove a mount point of another
		 * namespace). */
		_exit(umount(tmp) < 0);
	}
	waitpid(e, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || (mntbound && umount(mntf) < 0))
		mntok = 0;
	printf("the child's mount namespace, bound, lived on: %s\n", mntok ? "yes (or Linux refused the bind)" : "no");
	CHECK("umount net", umount(netf));
	CHECK("setns through the file after umount", setns(open(netf, O_RDONLY), CLONE_NEWNET));
	unlink(netf);
	unlink(mntf);
	unlink(selff);
	unlink(pipef);
	rmdir(tmp);
	CHECK("rmdir", rmdir(dir));
	return 0;
}
