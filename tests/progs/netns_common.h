/* Network namespaces for the inet_* tests that unshare CLONE_NEWNET:
 * lo_up, userns_root and own_netns. Include after sock_common.h (for
 * errname). */
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* lo_up brings up the loopback interface of a new network namespace. */
static void lo_up(void) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	ioctl(s, SIOCGIFFLAGS, &r);
	r.ifr_flags |= IFF_UP;
	ioctl(s, SIOCSIFFLAGS, &r);
	close(s);
}

/* put_id_file writes text to /proc/self/NAME, 0 or -1 having printed
 * why not. */
static int put_id_file(const char *name, const char *text) {
	char p[64];
	snprintf(p, sizeof p, "/proc/self/%s", name);
	int fd = open(p, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) < 0) {
		printf("%s: %s\n", p, errname(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* userns_root makes the caller root of a new user namespace: its own
 * uid and gid map to 0 (setgroups denied, as a map written without
 * privileges must). It returns 0, or -1 having printed why not. */
static int userns_root(void) {
	char uid[32], gid[32];
	snprintf(uid, sizeof uid, "0 %d 1", (int)getuid());
	snprintf(gid, sizeof gid, "0 %d 1", (int)getgid());
	prctl(PR_SET_DUMPABLE, 1); /* so that it may write its own maps after a setuid */
	if (unshare(CLONE_NEWUSER) < 0) {
		printf("unshare(CLONE_NEWUSER): %s\n", errname(errno));
		return -1;
	}
	if (put_id_file("setgroups", "deny") < 0 || put_id_file("uid_map", uid) < 0 || put_id_file("gid_map", gid) < 0)
		return -1;
	return 0;
}

/* own_netns moves the caller into a new network namespace with lo up:
 * as root directly; as another user, what a user without privileges
 * may do: it becomes root of a new user namespace, which then owns the
 * network namespace and may configure it. It returns 0, or -1 having
 * printed why not. */
static int own_netns(void) {
	if (geteuid() != 0 && userns_root() < 0)
		return -1;
	if (unshare(CLONE_NEWNET) < 0) {
		printf("unshare(CLONE_NEWNET): %s\n", errname(errno));
		return -1;
	}
	lo_up();
	return 0;
}
