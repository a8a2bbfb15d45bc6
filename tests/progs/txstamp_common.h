/* Shared by inet_txstamp.c and hostprogs/hostnet_txstamp.c: the
 * SO_TIMESTAMPING flags, setting them, and reading one error-queue
 * message (its timestamps and sock_extended_err). */
#define SOF_TX_SOFTWARE (1 << 1)
#define SOF_SOFTWARE (1 << 4)
#define SOF_OPT_ID (1 << 7)
#define SOF_OPT_TSONLY (1 << 11)
#define SO_EE_ORIGIN_TIMESTAMPING 4
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef ENOMSG
#define ENOMSG 42
#endif

struct ext_err {
	unsigned ee_errno;
	unsigned char ee_origin, ee_type, ee_code, ee_pad;
	unsigned ee_info, ee_data;
};

/* errqueue reads one error-queue message and prints what it holds. */
static void errqueue(const char *label, int fd) {
	char buf[256], cbuf[1024];
	struct iovec iov = {buf, sizeof buf};
	iaddr from;
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	long n = recvmsg(fd, &m, MSG_ERRQUEUE);
	if (n < 0) {
		printf("  %s: %s\n", label, errname(errno));
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	printf("  %s: %ld bytes, flags %#x, namelen %d:", label, n, m.msg_flags, (int)m.msg_namelen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		printf(" [%d %d", c->cmsg_level, c->cmsg_type);
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING_OLD) {
			struct timespec ts[3];
			memcpy(ts, CMSG_DATA(c), sizeof ts);
			long d = (long)(now.tv_sec - ts[0].tv_sec);
			printf(" sw %s, others %s", d >= 0 && d < 60 && ts[0].tv_nsec < 1000000000 ? "recent" : "wrong",
			       ts[1].tv_sec | ts[1].tv_nsec | ts[2].tv_sec | ts[2].tv_nsec ? "set" : "zero");
		} else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
			   (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			struct ext_err e;
			memcpy(&e, CMSG_DATA(c), sizeof e);
			printf(" errno %s origin %s info %u data %u", e.ee_errno == ENOMSG ? "ENOMSG" : errname(e.ee_errno),
			       e.ee_origin == SO_EE_ORIGIN_TIMESTAMPING ? "timestamping" : "other", e.ee_info, e.ee_data);
		}
		printf("]");
	}
	printf("\n");
}

static void setflags(const char *label, int fd, int f) {
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof f) < 0)
		printf("  %s: %s\n", label, errname(errno));
	else
		printf("  %s: ok, getsockopt %#x\n", label, getint(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD));
}
