/* A network namespace's life and its AF_UNIX abstract names: abstract
 * names are per namespace (a name bound in one is ECONNREFUSED from
 * another, can be bound again there, and /proc/net/unix lists only the
 * namespace's own sockets); a namespace whose processes are all gone
 * lives on while a socket of it or an open /proc/PID/ns/net file is held
 * (lo stays up, a connection made there still carries data, setns into
 * it works); and many namespaces made and dropped one after the other
 * leave the parent's working. Without privileges the worker first makes
 * a user namespace, in which it may make network namespaces. */
#include "inet_common.h"
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static int lo_up(void) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	int rc = ioctl(s, SIOCGIFFLAGS, &r);
	if (rc == 0) {
		r.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &r);
	}
	close(s);
	return rc;
}

static int lo_is_up(void) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	int rc = ioctl(s, SIOCGIFFLAGS, &r);
	close(s);
	return rc < 0 ? -errno : !!(r.ifr_flags & IFF_UP);
}

static int send_fds(int via, const int *fds, int n) {
	char c = 'f';
	struct iovec iov = {&c, 1};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(4 * sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = CMSG_SPACE(n * sizeof(int))};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(h), fds, n * sizeof(int));
	return sendmsg(via, &m, 0);
}

static int recv_fds(int via, int *fds, int n) {
	char c;
	struct iovec iov = {&c, 1};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
	if (recvmsg(via, &m, 0) != 1) return -1;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	if (!h || h->cmsg_type != SCM_RIGHTS || h->cmsg_len != CMSG_LEN(n * sizeof(int))) return -1;
	memcpy(fds, CMSG_DATA(h), n * sizeof(int));
	return 0;
}

/* in_unix_line reports whether /proc/net/unix has a line ending in
 * " @name". */
static int in_unix_list(const char *name) {
	FILE *f = fopen("/proc/net/unix", "r");
	if (!f) return -1;
	char line[512], want[128];
	snprintf(want, sizeof want, " @%s\n", name);
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		size_t l = strlen(line), w = strlen(want);
		if (l >= w && strcmp(line + l - w, want) == 0) found = 1;
	}
	fclose(f);
	return found;
}

static int wait_child(pid_t pid) {
	int st;
	if (waitpid(pid, &st, 0) < 0) return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char absname[64];

/* abstract_names runs in a child: a new namespace does not see the
 * parent namespace's abstract name, binds it itself, and after setns
 * back reaches the first one. */
static void abstract_names(int saved) {
	struct sockaddr_un a;
	socklen_t l = sun_abstract(&a, absname);
	ICHECK("unshare(CLONE_NEWNET)", unshare(CLONE_NEWNET));
	printf("/proc/net/unix lists the old namespace's name: %d\n", in_unix_list(absname));
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	ICHECK("connect to the old namespace's abstract name", connect(c, (struct sockaddr *)&a, l));
	close(c);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	ICHECK("bind the same abstract name here", bind(s, (struct sockaddr *)&a, l));
	ICHECK("listen", listen(s, 1));
	printf("/proc/net/unix lists it now: %d\n", in_unix_list(absname));
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	ICHECK("bind it twice in one namespace", bind(s2, (struct sockaddr *)&a, l));
	close(s2);
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	ICHECK("autobind (empty address)", bind(c, (struct sockaddr *)&a, sizeof(sa_family_t)));
	close(c);
	ICHECK("setns back", setns(saved, CLONE_NEWNET));
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ICHECK("connect from the first namespace again", connect(c, (struct sockaddr *)&a, l));
	close(c);
	close(s);
}

/* held_by_socket: a child makes a namespace with a TCP connection in it
 * and sends both ends and the namespace file to the parent, then exits. */
static void held(void) {
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0) _exit(1);
		int ls = listener(AF_INET, SOCK_STREAM);
		int c = connect_to(AF_INET, SOCK_STREAM, local_port(ls));
		int acc = accept(ls, NULL, NULL);
		int nsf = open("/proc/self/ns/net", O_RDONLY);
		int fds[3] = {c, acc, nsf};
		if (c < 0 || acc < 0 || nsf < 0 || send_fds(sp[1], fds, 3) < 0) _exit(2);
		_exit(0);
	}
	close(sp[1]);
	int fds[3] = {-1, -1, -1};
	int rc = recv_fds(sp[0], fds, 3);
	close(sp[0]);
	printf("namespace child exited %d, fds received: %d\n", wait_child(pid), rc == 0);
	if (rc < 0) return;
	/* The namespace has no process now: its connection still works. */
	ICHECK("send on the dead namespace's connection", send(fds[0], "ping", 4, 0));
	char buf[8] = {0};
	ICHECK("recv", recv(fds[1], buf, sizeof buf, 0));
	printf("got %s\n", buf);
	close(fds[0]);
	close(fds[1]);
	/* Only the namespace file holds it now: enter it. */
	pid = fork();
	if (pid == 0) {
		if (setns(fds[2], CLONE_NEWNET) < 0) {
			printf("setns into the held namespace: %s\n", errname(errno));
			_exit(1);
		}
		printf("lo is still up there: %d\n", lo_is_up());
		int ls = listener(AF_INET, SOCK_STREAM);
		int c = connect_to(AF_INET, SOCK_STREAM, local_port(ls));
		int acc = accept(ls, NULL, NULL);
		printf("a new connection there: %d\n", c >= 0 && acc >= 0);
		_exit(0);
	}
	printf("setns child exited %d\n", wait_child(pid));
	close(fds[2]);
}

/* many makes and drops namespaces one after the other, each with lo up,
 * a listener and a connection. */
static void many(int n) {
	int ok = 0;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0) _exit(1);
			int ls = listener(AF_INET6, SOCK_STREAM);
			int c = connect_to(AF_INET6, SOCK_STREAM, local_port(ls));
			struct sockaddr_un a;
			socklen_t l = sun_abstract(&a, absname);
			int u = socket(AF_UNIX, SOCK_DGRAM, 0);
			_exit(ls < 0 || c < 0 || bind(u, (struct sockaddr *)&a, l) < 0 ? 2 : 0);
		}
		if (pid < 0 || wait_child(pid) != 0) break;
		ok++;
	}
	printf("%d namespaces made and dropped: %d\n", n, ok == n);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(absname, sizeof absname, "kite-ns-net-life-%d", getpid());
	int n = argc > 1 ? atoi(argv[1]) : 200;
	fflush(stdout);
	pid_t w = fork();
	if (w == 0) {
		/* The worker: privileged in a user namespace of its own
		 * unless it already may make network namespaces. */
		if (geteuid() != 0 && unshare(CLONE_NEWUSER) < 0) {
			printf("unshare(CLONE_NEWUSER): %s\n", errname(errno));
			_exit(1);
		}
		struct sockaddr_un a;
		socklen_t l = sun_abstract(&a, absname);
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		ICHECK("bind an abstract name", bind(s, (struct sockaddr *)&a, l));
		ICHECK("listen", listen(s, 4));
		printf("/proc/net/unix lists it: %d\n", in_unix_list(absname));
		int saved = open("/proc/self/ns/net", O_RDONLY);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			abstract_names(saved);
			_exit(0);
		}
		printf("abstract-name child exited %d\n", wait_child(pid));
		held();
		many(n);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		ICHECK("the worker's abstract name still answers", connect(c, (struct sockaddr *)&a, l));
		_exit(0);
	}
	printf("worker exited %d\n", wait_child(w));
	return 0;
}
