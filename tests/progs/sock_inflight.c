/* Limits on descriptors in flight (SCM_RIGHTS): Linux 6 has no nesting
 * limit (a socket in flight inside a socket in flight, eight deep, is
 * sent), and a user whose files in flight exceed RLIMIT_NOFILE gets
 * ETOOMANYREFS (unix_attach_fds) unless it has CAP_SYS_RESOURCE or
 * CAP_SYS_ADMIN. The count is per user, so the limit part runs in a child
 * with a uid of its own and no capabilities. */
#include "sock_common.h"
#include <sys/resource.h>

static int sendfd(int s, int fd, int flags) {
	char cb[CMSG_SPACE(4)];
	memset(cb, 0, sizeof cb);
	struct iovec iov = {"x", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof cb};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(4);
	memcpy(CMSG_DATA(c), &fd, 4);
	return sendmsg(s, &mh, flags);
}

static int recvfd(int s) {
	char cb[CMSG_SPACE(4)], b;
	struct iovec iov = {&b, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof cb};
	if (recvmsg(s, &mh, MSG_DONTWAIT) < 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -2;
	int fd;
	memcpy(&fd, CMSG_DATA(c), 4);
	return fd;
}

int main(void) {
	int outer[2], prev = -1;
	for (int lvl = 0; lvl < 8; lvl++) {
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		if (prev >= 0) {
			char label[32];
			snprintf(label, sizeof label, "nest %d", lvl);
			CHECK(label, sendfd(sv[0], prev, 0));
			close(prev);
		}
		prev = sv[1];
		if (lvl == 7) { outer[0] = sv[0]; outer[1] = sv[1]; }
	}
	/* Unwind: each received socket holds the next one. */
	int fd = outer[1], depth = 0;
	for (;;) {
		int got = recvfd(fd);
		if (got < 0)
			break;
		depth++;
		fd = got;
	}
	printf("unwound %d levels\n", depth);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		for (int i = 3; i < 256; i++)
			close(i);
		struct rlimit rl = {16, 16};
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || setresgid(54321, 54321, 54321) < 0 ||
		    setresuid(54321, 54321, 54321) < 0) {
			printf("cannot become uid 54321: %s\n", errname(errno));
			fflush(stdout);
			_exit(0);
		}
		int sv[2];
		CHECK("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
		int sent = 0, i;
		for (i = 0; i < 40; i++) {
			if (sendfd(sv[0], 0, MSG_DONTWAIT) < 0)
				break;
			sent++;
		}
		printf("sent %d, then %s\n", sent, errname(errno));
		int r = recvfd(sv[1]);
		printf("received one: %d\n", r >= 0);
		close(r);
		CHECK("send after a receive", sendfd(sv[0], 0, MSG_DONTWAIT));
		CHECK("send again", sendfd(sv[0], 0, MSG_DONTWAIT));
		CHECK("send without files", send(sv[0], "y", 1, MSG_DONTWAIT));
		int st[2];
		CHECK("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, st));
		CHECK("stream send", sendfd(st[0], 0, MSG_DONTWAIT));
		/* Closing the receiver frees its queue and the count. */
		close(sv[1]);
		CHECK("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
		CHECK("send after close", sendfd(sv[0], 0, MSG_DONTWAIT));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child status %d\n", st);
	return 0;
}
