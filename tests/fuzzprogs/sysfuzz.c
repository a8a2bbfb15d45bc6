// sysfuzz: a seeded, reproducible system-call fuzzer for kite.
//
// It runs only under kite (never on the host: it makes random calls as
// root). The parent forks one child per round; each child builds a pool
// of descriptors (sockets of every family kite has, pseudo-terminals,
// eventfd, timerfd, signalfd, inotify, memfd, pipes, epoll) and makes
// random calls on them with random arguments and bad pointers. A timer
// interrupts blocked calls every 50 ms and ends the child after 2 s. A
// child may die of a signal (only a fault outside the memory it plays
// with, or a signal it sent itself). What must not happen is kite
// panicking, or a child that SIGKILL does not end (kite hung): the
// parent reports that (HANG) and exits 3. A child still running 10 s
// after its start was blocked where the timer could not interrupt it:
// the parent kills it and reports that (STUCK).
//
// usage: sysfuzz SEED ROUNDS [CALLS]   run ROUNDS children from SEED
//        sysfuzz -1 SEED ROUND [CALLS] run one child, printing each call
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sched.h>

static __thread uint64_t rng;
static int verbose;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static long rsys(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static void rexit(int code)
{
	for (;;)
		rsys(SYS_exit_group, code, 0, 0, 0, 0, 0);
}

static void say(const char *s)
{
	rsys(SYS_write, 2, (long)s, strlen(s), 0, 0, 0);
}

static volatile int ticks_left;
static __thread sigjmp_buf touch_jmp;
static __thread volatile int touching;

// fault ends a touch of the scratch region that faulted; any other
// fault ends the child.
static void fault(int sig)
{
	if (touching) {
		touching = 0;
		siglongjmp(touch_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

#define NFD 48
static int fds[NFD];
static int nfds;
static unsigned char *buf;    // BUFSZ bytes of random data, mapped
static unsigned char *edge;   // last page before an unmapped page
static unsigned char *scratch; // a region mremap/munmap may play with
#define BUFSZ (64 * 1024)
#define SCRATCH (64 * 4096)

static void addfd(long fd)
{
	if (fd < 0)
		return;
	if (nfds < NFD)
		fds[nfds++] = fd;
	else
		fds[below(NFD)] = fd;
}

static long anyfd(void)
{
	switch (below(16)) {
	case 0:
		return -1;
	case 1:
		return below(1024);
	case 2:
		return 0x7fffffff;
	}
	return nfds ? fds[below(nfds)] : -1;
}

static long interesting_int(void)
{
	static const long v[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256,
				 511, 512, 1023, 1024, 4095, 4096, 4097, 65535, 65536, 0x7fffffff,
				 0x80000000L, 0xffffffffL, -1, -2, -4096, 0x7fffffffffffffffL,
				 (long)0x8000000000000000UL};
	return v[below(sizeof v / sizeof v[0])];
}

static long len(void)
{
	switch (below(6)) {
	case 0:
		return interesting_int();
	case 1:
		return below(BUFSZ);
	}
	return below(256);
}

static long ptr(void)
{
	switch (below(12)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return -1;
	case 3:
		return (long)0xffff800000000000UL + below(1 << 20);
	case 4:
		return (long)(edge + 4096 - below(64)); // straddles into unmapped
	case 5:
		return (long)(edge + 4096); // unmapped
	case 6:
		return (long)scratch + below(SCRATCH);
	case 7:
		return 0x1000 + below(0x10000);
	}
	return (long)buf + below(BUFSZ - 4096);
}

static long arg(void)
{
	switch (below(5)) {
	case 0:
		return ptr();
	case 1:
		return anyfd();
	case 2:
		return (long)rnd();
	}
	return interesting_int();
}

static void randomize(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd();
}

// sockaddr fills buf at off with a plausible address of a random family
// and returns its length.
static long sockaddr_at(unsigned char *p)
{
	static const int fam[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_UNSPEC, AF_PACKET, 0xff};
	randomize(p, 128);
	int f = fam[below(7)];
	p[0] = f;
	p[1] = 0;
	if (f == AF_INET && below(2)) {
		p[2] = 0;
		p[3] = below(4) ? 80 + below(4) : rnd();
		p[4] = 127, p[5] = 0, p[6] = 0, p[7] = 1;
	}
	if (f == AF_UNIX && below(2)) {
		if (below(2))
			p[2] = 0; // abstract
		const char *n = below(2) ? "/tmp/fz" : "/tmp/fz2";
		memcpy(p + 3, n, 8);
	}
	if (f == AF_INET6 && below(2)) {
		memset(p + 4, 0, 20);
		p[2] = 0;
		p[3] = 80 + below(4);
		p[23] = 1; // ::1
	}
	switch (below(5)) {
	case 0:
		return interesting_int();
	case 1:
		return below(128);
	}
	return f == AF_UNIX ? 2 + below(20) : f == AF_INET6 ? 28 : f == AF_NETLINK ? 12 : 16;
}

// cmsgs builds a msghdr in buf with random iovecs and control messages.
static long msghdr(void)
{
	struct msghdr *m = (struct msghdr *)(buf + 8192);
	struct iovec *iov = (struct iovec *)(buf + 9000);
	unsigned char *ctl = buf + 10000;
	memset(m, 0, sizeof *m);
	m->msg_name = below(3) ? 0 : buf + 12000;
	if (m->msg_name)
		m->msg_namelen = sockaddr_at(buf + 12000);
	int n = below(4);
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = below(6) ? (void *)(buf + 16384 + below(8192)) : (void *)ptr();
		iov[i].iov_len = below(6) ? below(2048) : len();
	}
	m->msg_iov = below(10) ? iov : (void *)ptr();
	m->msg_iovlen = below(10) ? n : interesting_int();
	if (below(2)) {
		long off = 0;
		int k = below(4);
		for (int i = 0; i < k && off < 1500; i++) {
			struct cmsghdr *c = (struct cmsghdr *)(ctl + off);
			static const int lv[] = {SOL_SOCKET, 0 /*IP*/, 41 /*IPV6*/, 6 /*TCP*/, 17, 0x10e, 1 /*SOL_SOCKET*/};
			c->cmsg_level = below(8) ? lv[below(7)] : (int)rnd();
			c->cmsg_type = below(4) ? below(4) : below(80);
			int dl = below(4) ? 4 * below(8) : below(300);
			randomize(CMSG_DATA(c), dl);
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (int j = 0; j < dl / 4; j++)
					((int *)CMSG_DATA(c))[j] = anyfd();
			c->cmsg_len = below(8) ? CMSG_LEN(dl) : (size_t)interesting_int();
			off += CMSG_SPACE(dl);
		}
		m->msg_control = below(10) ? (void *)ctl : (void *)ptr();
		m->msg_controllen = below(8) ? off : len();
	}
	m->msg_flags = rnd();
	return (long)m;
}

// nlmsg builds random netlink messages in buf and returns their length.
static long nlmsg(unsigned char *p)
{
	long off = 0;
	int k = 1 + below(3);
	for (int i = 0; i < k; i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)(p + off);
		int body = below(4) ? 4 * below(40) : below(600);
		randomize((unsigned char *)(h + 1), body);
		// rtattrs: mostly sane lengths
		unsigned char *a = (unsigned char *)(h + 1) + 16;
		while (below(3) && a + 8 < (unsigned char *)(h + 1) + body) {
			uint16_t al = below(6) ? 4 + 4 * below(4) : rnd();
			memcpy(a, &al, 2);
			uint16_t at = below(40);
			memcpy(a + 2, &at, 2);
			a += (al + 3) & ~3;
		}
		h->nlmsg_len = below(8) ? NLMSG_LENGTH(body) : (uint32_t)interesting_int();
		h->nlmsg_type = below(4) ? 16 + below(100) : below(4) ? below(20) : rnd();
		h->nlmsg_flags = below(2) ? NLM_F_REQUEST | (below(2) ? NLM_F_DUMP : NLM_F_ACK) : rnd();
		h->nlmsg_seq = i;
		h->nlmsg_pid = below(4) ? 0 : rnd();
		off += NLMSG_ALIGN(NLMSG_LENGTH(body));
		if (off > 6000)
			break;
	}
	return off;
}

static void mkfds(void)
{
	static const int fam[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
	static const int typ[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, 10 /*PACKET*/, SOCK_RDM};
	int n = 6 + below(10);
	for (int i = 0; i < n; i++) {
		int f = fam[below(4)];
		int t = typ[below(6)] | (below(2) ? SOCK_NONBLOCK : 0) | (below(4) ? 0 : SOCK_CLOEXEC);
		int p = 0;
		if (f == AF_NETLINK)
			p = below(3) ? (below(2) ? 0 : 4) : below(23);
		else if (t & SOCK_RAW || below(5) == 0)
			p = below(2) ? 1 /*ICMP*/ : below(2) ? 58 /*ICMPV6*/ : below(260);
		long fd = rsys(SYS_socket, f, t, p, 0, 0, 0);
		if (fd < 0 && f != AF_NETLINK)
			fd = rsys(SYS_socket, f, SOCK_DGRAM | SOCK_NONBLOCK, f == AF_UNIX ? 0 : f == AF_INET ? 1 : 58, 0, 0, 0);
		addfd(fd);
	}
	int sv[2];
	for (int i = 0; i < 2; i++)
		if (rsys(SYS_socketpair, AF_UNIX, typ[below(3)] | (below(2) ? SOCK_NONBLOCK : 0), 0, (long)sv, 0, 0) == 0)
			addfd(sv[0]), addfd(sv[1]);
	long m = rsys(SYS_open, (long)"/dev/ptmx", O_RDWR | O_NOCTTY | (below(2) ? O_NONBLOCK : 0), 0, 0, 0, 0);
	addfd(m);
	if (m >= 0) {
		int z = 0;
		rsys(SYS_ioctl, m, 0x40045431 /*TIOCSPTLCK*/, (long)&z, 0, 0, 0);
		addfd(rsys(SYS_ioctl, m, 0x5441 /*TIOCGPTPEER*/, O_RDWR | O_NOCTTY | (below(2) ? O_NONBLOCK : 0), 0, 0, 0));
	}
	addfd(rsys(SYS_eventfd2, below(3), below(2) ? 04000 : 0, 0, 0, 0, 0));
	addfd(rsys(SYS_timerfd_create, below(2) ? CLOCK_MONOTONIC : CLOCK_REALTIME, below(2) ? 04000 : 0, 0, 0, 0, 0));
	uint64_t mask = rnd();
	addfd(rsys(SYS_signalfd4, -1, (long)&mask, 8, below(2) ? 04000 : 0, 0, 0));
	addfd(rsys(SYS_inotify_init1, below(2) ? 04000 : 0, 0, 0, 0, 0, 0));
	addfd(rsys(SYS_memfd_create, (long)"fz", below(2) ? 2 /*ALLOW_SEALING*/ : 0, 0, 0, 0, 0));
	addfd(rsys(SYS_epoll_create1, 0, 0, 0, 0, 0, 0));
	int pp[2];
	if (rsys(SYS_pipe2, (long)pp, below(2) ? O_NONBLOCK : 0, 0, 0, 0, 0) == 0)
		addfd(pp[0]), addfd(pp[1]);
	addfd(rsys(SYS_open, (long)"/proc/self/ns/net", O_RDONLY, 0, 0, 0, 0));
	addfd(rsys(SYS_open, (long)"/proc/self/ns/uts", O_RDONLY, 0, 0, 0, 0));
	addfd(rsys(SYS_open, (long)"/tmp", O_RDONLY | O_DIRECTORY, 0, 0, 0, 0));
	addfd(rsys(SYS_pidfd_open, rsys(SYS_getpid, 0, 0, 0, 0, 0, 0), 0, 0, 0, 0, 0));
}

static const unsigned long sockopt_names[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 25,
					      26, 29, 30, 35, 36, 37, 38, 40, 43, 44, 46, 47, 49, 50, 51, 52, 53, 58, 59, 60, 63, 64, 65, 66, 67, 68};

// An ioctl number for a socket, terminal or anything else.
static long ioctl_nr(void)
{
	switch (below(5)) {
	case 0:
		return 0x5401 + below(0x60); // TCGETS.. TIOC*
	case 1:
		return 0x8900 + below(0x70); // SIOC*
	case 2:
		return 0x5450 + below(0x10);
	case 3:
		return (long)(uint32_t)(0x40000000 | (below(0x100) << 16) | (below(0x100) << 8) | below(0x100)) |
		       (long)(below(4) << 30);
	}
	return (long)(uint32_t)rnd();
}

// clamp keeps a length from addr inside the scratch region, so that
// memory calls never unmap or replace the fuzzer's own memory; lengths
// no address space holds stay, to be refused.
static long clamp(long addr, long n)
{
	long end = (long)scratch + SCRATCH;
	if (addr >= (long)scratch && addr < end && n > end - addr && n < (1L << 47))
		return end - addr;
	return n;
}

static void one_call(void)
{
	long r = 0, nr = 0;
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = arg();
	if (below(50) == 0)
		randomize(buf, BUFSZ);
	switch (below(58)) {
	case 0:
		nr = SYS_socket;
		a[0] = below(4) ? (long[]){1, 2, 10, 16, 17, 0, 44}[below(7)] : below(50);
		a[1] = below(11) | (below(3) ? 0 : SOCK_NONBLOCK);
		a[2] = below(3) ? 0 : below(300);
		break;
	case 1:
		nr = SYS_bind;
		a[0] = anyfd();
		a[2] = sockaddr_at(buf + 2048);
		a[1] = below(8) ? (long)(buf + 2048) : ptr();
		break;
	case 2:
		nr = SYS_connect;
		a[0] = anyfd();
		a[2] = sockaddr_at(buf + 2048);
		a[1] = below(8) ? (long)(buf + 2048) : ptr();
		break;
	case 3:
		nr = SYS_listen;
		a[0] = anyfd();
		a[1] = interesting_int();
		break;
	case 4:
		nr = SYS_accept4;
		a[0] = anyfd();
		*(int *)(buf + 300) = below(200);
		a[2] = below(4) ? (long)(buf + 300) : ptr();
		a[1] = below(4) ? (long)(buf + 400) : ptr();
		a[3] = SOCK_NONBLOCK | (below(2) ? SOCK_CLOEXEC : 0);
		break;
	case 5:
	case 6:
		nr = SYS_sendto;
		a[0] = anyfd();
		a[1] = below(4) ? (long)buf : ptr();
		a[2] = len();
		a[3] = MSG_DONTWAIT | (below(3) ? 0 : rnd() & 0x7ffff);
		a[5] = sockaddr_at(buf + 2048);
		a[4] = below(2) ? 0 : below(6) ? (long)(buf + 2048) : ptr();
		break;
	case 7:
		nr = SYS_recvfrom;
		a[0] = anyfd();
		a[1] = below(4) ? (long)buf : ptr();
		a[2] = len();
		a[3] = MSG_DONTWAIT | (below(3) ? 0 : rnd() & 0x7ffff);
		*(int *)(buf + 300) = below(200);
		a[5] = below(4) ? (long)(buf + 300) : ptr();
		a[4] = below(2) ? 0 : ptr();
		break;
	case 8:
	case 9:
		nr = SYS_sendmsg;
		a[0] = anyfd();
		a[1] = below(10) ? msghdr() : ptr();
		a[2] = MSG_DONTWAIT | (below(3) ? 0 : rnd() & 0x7ffff);
		break;
	case 10:
		nr = SYS_recvmsg;
		a[0] = anyfd();
		a[1] = below(10) ? msghdr() : ptr();
		a[2] = MSG_DONTWAIT | (below(3) ? 0 : rnd() & 0x7ffff);
		break;
	case 11:
	case 12: {
		nr = below(2) ? SYS_setsockopt : SYS_getsockopt;
		a[0] = anyfd();
		static const int lv[] = {1, 0, 41, 6, 17, 58, 270, 263, 255, 132, 136, 281};
		a[1] = below(8) ? lv[below(12)] : (long)rnd();
		a[2] = below(4) ? (long)sockopt_names[below(sizeof sockopt_names / sizeof sockopt_names[0])] : below(4) ? below(80) : (long)rnd();
		a[3] = below(6) ? (long)(buf + below(4096)) : ptr();
		if (nr == SYS_getsockopt) {
			*(int *)(buf + 500) = below(3) ? below(300) : interesting_int();
			a[4] = below(6) ? (long)(buf + 500) : ptr();
		} else
			a[4] = below(3) ? 4 : len();
		break;
	}
	case 13:
	case 14:
		nr = SYS_ioctl;
		a[0] = anyfd();
		a[1] = ioctl_nr();
		a[2] = below(4) ? (long)(buf + below(4096)) : arg();
		break;
	case 15:
		nr = below(2) ? SYS_getsockname : SYS_getpeername;
		a[0] = anyfd();
		*(int *)(buf + 300) = below(3) ? below(200) : interesting_int();
		a[2] = below(6) ? (long)(buf + 300) : ptr();
		a[1] = below(6) ? (long)(buf + 400) : ptr();
		break;
	case 16:
		nr = SYS_shutdown;
		a[0] = anyfd();
		a[1] = below(4);
		break;
	case 17:
		nr = SYS_sendto; // netlink
		a[0] = anyfd();
		a[2] = nlmsg(buf + 20000);
		a[1] = (long)(buf + 20000);
		a[3] = MSG_DONTWAIT;
		a[4] = 0;
		a[5] = 0;
		break;
	case 18:
		nr = below(2) ? SYS_read : SYS_write;
		a[0] = anyfd();
		a[1] = below(4) ? (long)buf : ptr();
		a[2] = len();
		break;
	case 19:
		nr = below(2) ? SYS_readv : SYS_writev;
		a[0] = anyfd();
		msghdr();
		a[1] = below(6) ? (long)(buf + 9000) : ptr();
		a[2] = below(6) ? below(4) : interesting_int();
		break;
	case 20:
		nr = SYS_poll;
		for (int i = 0; i < 8; i++) {
			((int *)(buf + 600))[2 * i] = anyfd();
			((int *)(buf + 600))[2 * i + 1] = rnd() & 0xffff;
		}
		a[0] = below(8) ? (long)(buf + 600) : ptr();
		a[1] = below(8) ? below(8) : interesting_int();
		a[2] = 0;
		break;
	case 21:
		nr = SYS_fcntl;
		a[0] = anyfd();
		a[1] = below(4) ? (long[]){1033 /*ADD_SEALS*/, 1034, 4 /*SETFL*/, 8 /*SETOWN*/, 10 /*SETSIG*/, 1031, 1032, 3}[below(8)]
				: below(1100);
		a[2] = below(2) ? (long)(rnd() & 0xffff) : arg();
		break;
	case 22:
		nr = SYS_unshare;
		a[0] = rnd() & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
				CLONE_NEWCGROUP | CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_NEWTIME |
				(below(4) ? 0 : CLONE_VM | CLONE_SIGHAND | CLONE_THREAD));
		break;
	case 23:
		nr = SYS_setns;
		a[0] = anyfd();
		a[1] = below(3) ? 0 : rnd() & 0x7e020000;
		break;
	case 24: {
		// fork-like clone with random flags: the child exits at once.
		long fl = rnd() & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
				   CLONE_NEWCGROUP | CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
				   CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PIDFD | CLONE_PTRACE | CLONE_UNTRACED |
				   CLONE_IO | CLONE_NEWTIME);
		fl |= SIGCHLD;
		if (verbose) {
			char s[96];
			snprintf(s, sizeof s, "clone(%#lx)\n", fl);
			say(s);
		}
		long p = rsys(SYS_clone, fl, 0, below(3) ? (long)(buf + 700) : ptr(), below(3) ? (long)(buf + 708) : ptr(), 0, 0);
		if (p == 0)
			rexit(0);
		if (p > 0)
			rsys(SYS_wait4, p, 0, 0, 0, 0, 0);
		return;
	}
	case 25:
		nr = SYS_inotify_add_watch;
		a[0] = anyfd();
		a[1] = below(4) ? (long)(below(2) ? "/tmp" : "/proc/self") : ptr();
		a[2] = rnd() & 0xffffffff;
		break;
	case 26:
		nr = SYS_inotify_rm_watch;
		a[0] = anyfd();
		a[1] = below(5);
		break;
	case 27:
		nr = SYS_keyctl;
		a[0] = below(40);
		a[1] = below(2) ? -(long)below(8) : arg();
		break;
	case 28:
		nr = below(2) ? SYS_add_key : SYS_request_key;
		a[0] = below(4) ? (long)(below(2) ? "user" : "keyring") : ptr();
		a[1] = below(4) ? (long)"fz:desc" : ptr();
		a[2] = below(2) ? (long)buf : ptr();
		a[3] = nr == SYS_add_key ? len() : -(long)below(8);
		a[4] = -(long)below(8);
		break;
	case 29:
		nr = SYS_timerfd_settime;
		a[0] = anyfd();
		a[1] = below(4);
		for (int i = 0; i < 4; i++)
			((long *)(buf + 800))[i] = below(2) ? below(3) : below(2) ? below(1000000) : interesting_int();
		a[2] = below(6) ? (long)(buf + 800) : ptr();
		a[3] = below(2) ? 0 : ptr();
		break;
	case 30:
		nr = SYS_timerfd_gettime;
		a[0] = anyfd();
		a[1] = below(6) ? (long)(buf + 800) : ptr();
		break;
	case 31:
		nr = SYS_signalfd4;
		a[0] = anyfd();
		a[1] = below(6) ? (long)(buf + 800) : ptr();
		a[2] = below(4) ? 8 : interesting_int();
		a[3] = below(2) ? 04000 : rnd();
		break;
	case 32:
		nr = SYS_eventfd2;
		a[0] = interesting_int();
		a[1] = below(2) ? 04000 | 1 : rnd();
		break;
	case 33:
		nr = SYS_memfd_create;
		a[0] = below(6) ? (long)"fz" : ptr();
		a[1] = below(3) ? below(32) : rnd();
		break;
	case 34: {
		nr = SYS_mremap;
		long pg = below(SCRATCH / 4096);
		static const long badaddr[] = {0, -4096, 0x1000, 0xffff800000000000L};
		a[0] = below(8) ? (long)scratch + 4096 * pg : below(2) ? badaddr[below(4)] : (long)scratch + below(SCRATCH);
		a[1] = clamp(a[0], below(6) ? 4096 * (1 + below(8)) : len());
		a[3] = below(4) ? 1 : below(8);
		a[4] = (long)scratch + 4096 * below(SCRATCH / 4096);
		a[2] = clamp(a[3] & 2 ? a[4] : a[0], below(6) ? 4096 * (1 + below(16)) : len());
		break;
	}
	case 35:
		nr = below(3) ? SYS_mmap : SYS_munmap;
		if (nr == SYS_mmap) {
			a[0] = (long)scratch + 4096 * below(SCRATCH / 4096);
			a[1] = clamp(a[0], below(6) ? 4096 * (1 + below(8)) : len());
			a[2] = below(8);
			a[3] = (below(2) ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED | (below(2) ? MAP_ANONYMOUS : 0) |
			       (below(8) ? 0 : rnd() & 0xfff00);
			a[4] = anyfd();
			a[5] = 4096 * below(4);
		} else {
			a[0] = (long)scratch + 4096 * below(SCRATCH / 4096);
			a[1] = clamp(a[0], 4096 * below(8));
		}
		break;
	case 36:
		nr = below(2) ? SYS_mprotect : SYS_madvise;
		a[0] = (long)scratch + 4096 * below(SCRATCH / 4096);
		a[1] = clamp(a[0], 4096 * below(8));
		a[2] = nr == SYS_mprotect ? below(8) : below(30);
		break;
	case 37:
		nr = SYS_ftruncate;
		a[0] = anyfd();
		a[1] = below(4) ? below(100000) : interesting_int();
		break;
	case 38: {
		// touch the scratch region: faults on what mremap/mmap left
		long p = (long)scratch + below(SCRATCH);
		if (verbose) {
			char s[64];
			snprintf(s, sizeof s, "touch %#lx\n", p);
			say(s);
			static char m[8192];
			long fd = rsys(SYS_open, (long)"/proc/self/maps", O_RDONLY, 0, 0, 0, 0);
			long n = rsys(SYS_read, fd, (long)m, sizeof m - 1, 0, 0, 0);
			rsys(SYS_close, fd, 0, 0, 0, 0, 0);
			if (n > 0 && getenv("FZMAPS"))
				rsys(SYS_write, 2, (long)m, n, 0, 0, 0);
		}
		// Only touch what is mapped readable and writable; mincore says
		// mapped, and a write to a read-only page would just SIGSEGV.
		unsigned char v;
		if (rsys(SYS_mincore, p & ~4095L, 4096, (long)&v, 0, 0, 0) == 0 && sigsetjmp(touch_jmp, 1) == 0) {
			touching = 1;
			if (below(2))
				(void)*(volatile unsigned char *)p;
			else
				*(volatile unsigned char *)p = 1;
		}
		touching = 0;
		return;
	}
	case 39:
		nr = SYS_epoll_ctl;
		a[0] = anyfd();
		a[1] = 1 + below(3);
		a[2] = anyfd();
		((uint32_t *)(buf + 900))[0] = rnd();
		a[3] = below(6) ? (long)(buf + 900) : ptr();
		break;
	case 40:
		nr = SYS_epoll_wait;
		a[0] = anyfd();
		a[1] = below(6) ? (long)(buf + 1000) : ptr();
		a[2] = below(6) ? 1 + below(16) : interesting_int();
		a[3] = 0;
		break;
	case 41:
		nr = below(2) ? SYS_splice : SYS_tee;
		a[0] = anyfd();
		a[1] = nr == SYS_splice ? (below(2) ? 0 : ptr()) : anyfd();
		a[2] = nr == SYS_splice ? anyfd() : len();
		a[3] = nr == SYS_splice ? (below(2) ? 0 : ptr()) : (1 /*NONBLOCK*/ | (rnd() & 0xe));
		a[4] = len();
		a[5] = 1 | (rnd() & 0xe);
		break;
	case 42:
		nr = below(2) ? SYS_sendmmsg : SYS_recvmmsg;
		a[0] = anyfd();
		msghdr();
		a[1] = below(6) ? (long)(buf + 8192) : ptr();
		a[2] = below(4) ? 1 : interesting_int();
		a[3] = MSG_DONTWAIT | (rnd() & 0x40000);
		a[4] = 0;
		break;
	case 43:
		nr = SYS_dup3;
		a[0] = anyfd();
		a[1] = 3 + below(60);
		a[2] = below(2) ? O_CLOEXEC : 0;
		break;
	case 44:
		nr = SYS_close;
		a[0] = anyfd();
		if (a[0] <= 2)
			return;
		break;
	case 45: {
		// new descriptors now and then
		if (nfds < NFD / 2 || below(4) == 0)
			mkfds();
		return;
	}
	case 46:
		nr = SYS_io_uring_setup;
		a[0] = below(4) ? 1 + below(64) : interesting_int();
		a[1] = below(6) ? (long)(buf + 1200) : ptr();
		memset(buf + 1200, 0, 120);
		if (below(2))
			randomize(buf + 1200, 120);
		break;
	case 47:
		nr = below(2) ? SYS_fanotify_init : SYS_pidfd_getfd;
		a[0] = below(2) ? anyfd() : (long)rnd();
		a[1] = below(2) ? anyfd() : (long)rnd();
		a[2] = 0;
		break;
	case 48:
		nr = below(2) ? SYS_sendfile : SYS_copy_file_range;
		a[0] = anyfd();
		a[1] = nr == SYS_sendfile ? anyfd() : (below(2) ? 0 : ptr());
		a[2] = nr == SYS_sendfile ? (below(2) ? 0 : ptr()) : anyfd();
		a[3] = nr == SYS_sendfile ? len() : (below(2) ? 0 : ptr());
		a[4] = len();
		a[5] = below(4) ? 0 : rnd();
		break;
	case 49:
		nr = below(2) ? SYS_pread64 : SYS_pwrite64;
		a[0] = anyfd();
		a[1] = below(4) ? (long)buf : ptr();
		a[2] = len();
		a[3] = below(2) ? below(100000) : interesting_int();
		break;
	case 50:
		nr = below(3) ? SYS_lseek : below(2) ? SYS_fallocate : SYS_fstat;
		a[0] = anyfd();
		a[1] = nr == SYS_fstat ? (below(4) ? (long)(buf + 3000) : ptr()) : interesting_int();
		a[2] = nr == SYS_lseek ? below(6) : interesting_int();
		a[3] = interesting_int();
		break;
	case 51:
		nr = SYS_getdents64;
		a[0] = anyfd();
		a[1] = below(4) ? (long)buf : ptr();
		a[2] = len();
		break;
	case 52: {
		nr = below(3) ? SYS_ppoll : below(2) ? SYS_pselect6 : SYS_epoll_pwait;
		for (int i = 0; i < 8; i++) {
			((int *)(buf + 600))[2 * i] = anyfd();
			((int *)(buf + 600))[2 * i + 1] = rnd() & 0xffff;
		}
		// Never block the timer's signal.
		uint64_t mask = rnd() & ~(1ULL << (SIGALRM - 1));
		memcpy(buf + 1500, &mask, 8);
		memset(buf + 1520, 0, 16); // a zero timeout
		if (nr == SYS_ppoll) {
			a[0] = below(8) ? (long)(buf + 600) : ptr();
			a[1] = below(8) ? below(8) : interesting_int();
			a[2] = below(4) ? (long)(buf + 1520) : below(2) ? 0 : ptr();
			a[3] = below(2) ? (long)(buf + 1500) : 0;
			a[4] = below(4) ? 8 : interesting_int();
		} else if (nr == SYS_pselect6) {
			a[0] = below(4) ? below(1025) : interesting_int();
			a[1] = below(4) ? (long)(buf + 1600) : ptr();
			a[2] = below(4) ? 0 : (long)(buf + 1700);
			a[3] = below(4) ? 0 : ptr();
			a[4] = below(4) ? (long)(buf + 1520) : below(2) ? 0 : ptr();
			((long *)(buf + 1800))[0] = (long)(buf + 1500);
			((long *)(buf + 1800))[1] = below(4) ? 8 : interesting_int();
			a[5] = below(2) ? (long)(buf + 1800) : 0;
		} else {
			a[0] = anyfd();
			a[1] = below(6) ? (long)(buf + 1000) : ptr();
			a[2] = below(6) ? 1 + below(16) : interesting_int();
			a[3] = 0;
			a[4] = below(2) ? (long)(buf + 1500) : 0;
			a[5] = below(4) ? 8 : interesting_int();
		}
		break;
	}
	case 53: {
		// prctl, but not the options that would end the child's timer
		// or its signal handling in ways it cannot undo.
		nr = SYS_prctl;
		a[0] = below(72);
		if (a[0] == 22 /* PR_SET_SECCOMP */ || a[0] == 1 /* PR_SET_PDEATHSIG */)
			return;
		break;
	}
	case 54:
		nr = below(3) ? SYS_msgget : below(2) ? SYS_semget : SYS_shmget;
		a[0] = below(2) ? 0 /* IPC_PRIVATE */ : below(4);
		a[1] = nr == SYS_shmget ? (below(2) ? 4096 * below(4) : len()) : interesting_int();
		a[2] = (rnd() & 0x7ff) | (below(2) ? 01000 /*IPC_CREAT*/ : 0);
		break;
	case 55:
		nr = below(3) ? SYS_msgsnd : below(2) ? SYS_msgrcv : SYS_semop;
		a[0] = below(4);
		a[1] = below(4) ? (long)buf : ptr();
		a[2] = below(4) ? below(300) : len();
		a[3] = nr == SYS_msgrcv ? (long)rnd() : 04000 /*IPC_NOWAIT*/ | (rnd() & 010000);
		a[4] = 04000 | (rnd() & 0x3000);
		break;
	case 56:
		nr = below(2) ? SYS_shmat : SYS_shmctl;
		a[0] = below(4);
		a[1] = nr == SYS_shmat ? 0 : below(16);
		a[2] = nr == SYS_shmat ? (rnd() & 0x7000) : (below(4) ? (long)(buf + 4000) : ptr());
		break;
	case 57:
		nr = below(2) ? SYS_mq_open : SYS_mq_timedsend;
		if (nr == SYS_mq_open) {
			a[0] = below(4) ? (long)"fzq" : ptr();
			a[1] = (rnd() & 03) | (below(2) ? O_CREAT : 0) | O_NONBLOCK;
			a[2] = 0600;
			((long *)(buf + 5000))[0] = 0;
			((long *)(buf + 5000))[1] = below(4) ? 1 + below(10) : interesting_int();
			((long *)(buf + 5000))[2] = below(4) ? 1 + below(8192) : interesting_int();
			a[3] = below(2) ? 0 : below(4) ? (long)(buf + 5000) : ptr();
		} else {
			a[0] = anyfd();
			a[1] = below(4) ? (long)buf : ptr();
			a[2] = len();
			a[3] = below(64);
			a[4] = below(2) ? 0 : ptr();
		}
		break;
	}
	if (verbose) {
		char s[200];
		snprintf(s, sizeof s, "%ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)", nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		say(s);
	}
	r = rsys(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (verbose) {
		char s[40];
		snprintf(s, sizeof s, " = %ld\n", r);
		say(s);
	}
	if (r >= 0 && r < 1024 && (nr == SYS_socket || nr == SYS_accept4 || nr == SYS_memfd_create || nr == SYS_eventfd2 || nr == SYS_mq_open ||
				   nr == SYS_signalfd4 || nr == SYS_dup3 || nr == SYS_io_uring_setup || nr == SYS_pidfd_getfd))
		addfd(r);
}

static void tick(int sig)
{
	(void)sig;
	if (--ticks_left <= 0)
		rexit(0);
}

static long thread_ncalls;

static void *thread_calls(void *seed)
{
	rng = (uint64_t)(long)seed;
	for (long i = 0; i < thread_ncalls; i++)
		one_call();
	return 0;
}

static void child(uint64_t seed, long calls)
{
	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	thread_ncalls = calls;
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	if (!rng)
		rng = 1;
	buf = mmap(0, BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	edge = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(edge + 4096, 4096);
	scratch = mmap(0, SCRATCH, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	randomize(buf, BUFSZ);
	if (!verbose) {
		// Random writes and reads on 0-2 go to /dev/null.
		int nul = open("/dev/null", O_RDWR);
		for (int fd = 0; fd < 3; fd++)
			dup2(nul, fd);
		if (nul > 2)
			close(nul);
	}
	// A timer interrupts blocking calls every 50 ms (no SA_RESTART), so
	// a child blocked in one call moves on to the next; the handler
	// ends the child after its time is up.
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tick;
	sigaction(SIGALRM, &sa, 0);
	ticks_left = verbose ? 300 : 40;
	sa.sa_handler = fault;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGBUS, &sa, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGIO, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	struct itimerval it = {{0, 50000}, {0, 50000}};
	setitimer(ITIMER_REAL, &it, 0);
	mkfds();
	// A third of the children run their calls on 2 to 4 threads, so
	// that calls race on the same descriptors and mappings (these
	// rounds do not repeat exactly).
	if (below(3) == 0) {
		int n = 1 + below(3);
		for (int i = 0; i < n; i++) {
			pthread_t th;
			pthread_create(&th, 0, thread_calls, (void *)(long)(rnd() | 1));
		}
	}
	for (long i = 0; i < calls; i++)
		one_call();
	rexit(0);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "-1") == 0) {
		verbose = 1;
		uint64_t seed = strtoull(argv[2], 0, 0) * 1000003 + strtoull(argv[3], 0, 0);
		child(seed, argc > 4 ? atol(argv[4]) : 2000);
	}
	if (argc < 3) {
		fprintf(stderr, "usage: sysfuzz SEED ROUNDS [CALLS] | -1 SEED ROUND [CALLS]\n");
		return 2;
	}
	// Children may name us as the owner of their files (F_SETOWN) with
	// any signal (F_SETSIG): the parent ignores them all. Its children
	// restore the defaults.
	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_IGN);
	uint64_t seed = strtoull(argv[1], 0, 0);
	long rounds = atol(argv[2]), calls = argc > 3 ? atol(argv[3]) : 2000;
	int died = 0, bysig[65] = {0};
	for (long i = 0; i < rounds; i++) {
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			return 1;
		}
		if (p == 0)
			child(seed * 1000003 + i, calls);
		double start = now(), killed = 0;
		int st;
		for (;;) {
			pid_t w = waitpid(p, &st, WNOHANG);
			if (w == p)
				break;
			double t = now();
			if (!killed && t - start > 10) {
				printf("STUCK: round %ld (seed %llu) still running after 10 s\n", i, (unsigned long long)seed);
				fflush(stdout);
				kill(p, SIGKILL);
				killed = t;
			}
			if (killed && t - killed > 60) {
				printf("HANG: round %ld (seed %llu) not ended 60 s after SIGKILL\n", i,
				       (unsigned long long)seed);
				fflush(stdout);
				return 3;
			}
			usleep(2000);
		}
		// Reap what a clone with CLONE_PARENT left us.
		while (waitpid(-1, 0, WNOHANG) > 0)
			;
		if (WIFSIGNALED(st)) {
			died++;
			if (WTERMSIG(st) < 65)
				bysig[WTERMSIG(st)]++;
		}
	}
	printf("sysfuzz: %ld rounds from seed %llu done (%d ended by a signal:", rounds, (unsigned long long)seed, died);
	for (int i = 1; i < 65; i++)
		if (bysig[i])
			printf(" %d:%d", i, bysig[i]);
	printf(")\n");
	return 0;
}
