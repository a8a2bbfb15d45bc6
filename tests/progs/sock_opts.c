/* getsockopt and setsockopt on AF_UNIX sockets: SO_TYPE, SO_DOMAIN,
 * SO_PROTOCOL, SO_ACCEPTCONN, SO_ERROR, SO_SNDBUF/SO_RCVBUF (doubling and
 * clamping), SO_RCVTIMEO/SO_SNDTIMEO, SO_LINGER, SO_PASSCRED, SO_PEERCRED,
 * SO_PEERGROUPS, recorded booleans, short option lengths, bad levels and
 * names, and the ioctls FIONREAD/SIOCINQ/SIOCOUTQ/FIONBIO. */
#include "sock_common.h"
#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif
#include <grp.h>

static void getint(const char *label, int fd, int level, int name) {
	int v = -7;
	socklen_t l = sizeof v;
	if (getsockopt(fd, level, name, &v, &l) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d (len %d)\n", label, v, (int)l);
	fflush(stdout);
}

static void setint(const char *label, int fd, int level, int name, int v) {
	CHECK(label, setsockopt(fd, level, name, &v, sizeof v));
}

int main(void) {
	int st = socket(AF_UNIX, SOCK_STREAM, 0), dg = socket(AF_UNIX, SOCK_DGRAM, 0), sp = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	int raw = socket(AF_UNIX, SOCK_RAW, 0);
	getint("SO_TYPE stream", st, SOL_SOCKET, SO_TYPE);
	getint("SO_TYPE dgram", dg, SOL_SOCKET, SO_TYPE);
	getint("SO_TYPE seqpacket", sp, SOL_SOCKET, SO_TYPE);
	getint("SO_TYPE raw", raw, SOL_SOCKET, SO_TYPE);
	getint("SO_DOMAIN", st, SOL_SOCKET, SO_DOMAIN);
	getint("SO_PROTOCOL", st, SOL_SOCKET, SO_PROTOCOL);
	getint("SO_ACCEPTCONN", st, SOL_SOCKET, SO_ACCEPTCONN);
	getint("SO_ERROR", st, SOL_SOCKET, SO_ERROR);
	getint("SO_SNDBUF default", st, SOL_SOCKET, SO_SNDBUF);
	getint("SO_RCVBUF default", st, SOL_SOCKET, SO_RCVBUF);
	setint("SO_SNDBUF 10000", st, SOL_SOCKET, SO_SNDBUF, 10000);
	getint("SO_SNDBUF", st, SOL_SOCKET, SO_SNDBUF);
	setint("SO_SNDBUF 1", st, SOL_SOCKET, SO_SNDBUF, 1);
	getint("SO_SNDBUF", st, SOL_SOCKET, SO_SNDBUF);
	setint("SO_RCVBUF 100", st, SOL_SOCKET, SO_RCVBUF, 100);
	getint("SO_RCVBUF", st, SOL_SOCKET, SO_RCVBUF);
	setint("SO_RCVBUF 50000", st, SOL_SOCKET, SO_RCVBUF, 50000);
	getint("SO_RCVBUF", st, SOL_SOCKET, SO_RCVBUF);
	getint("SO_RCVLOWAT", st, SOL_SOCKET, SO_RCVLOWAT);
	getint("SO_SNDLOWAT", st, SOL_SOCKET, SO_SNDLOWAT);
	setint("set SO_SNDLOWAT", st, SOL_SOCKET, SO_SNDLOWAT, 5);
	setint("set SO_RCVLOWAT", st, SOL_SOCKET, SO_RCVLOWAT, 5);
	getint("SO_RCVLOWAT", st, SOL_SOCKET, SO_RCVLOWAT);
	setint("set SO_RCVLOWAT 0", st, SOL_SOCKET, SO_RCVLOWAT, 0);
	getint("SO_RCVLOWAT", st, SOL_SOCKET, SO_RCVLOWAT);
	getint("SO_PASSCRED", st, SOL_SOCKET, SO_PASSCRED);
	setint("set SO_PASSCRED 5", st, SOL_SOCKET, SO_PASSCRED, 5);
	getint("SO_PASSCRED", st, SOL_SOCKET, SO_PASSCRED);
	setint("set SO_KEEPALIVE 7", st, SOL_SOCKET, SO_KEEPALIVE, 7);
	getint("SO_KEEPALIVE", st, SOL_SOCKET, SO_KEEPALIVE);
	setint("set SO_REUSEADDR", st, SOL_SOCKET, SO_REUSEADDR, 1);
	getint("SO_REUSEADDR", st, SOL_SOCKET, SO_REUSEADDR);
	setint("set SO_PRIORITY 3", st, SOL_SOCKET, SO_PRIORITY, 3);
	getint("SO_PRIORITY", st, SOL_SOCKET, SO_PRIORITY);
	setint("set SO_TYPE", st, SOL_SOCKET, SO_TYPE, 1);
	setint("set SO_PEERCRED", st, SOL_SOCKET, SO_PEERCRED, 1);
	getint("unknown option 999", st, SOL_SOCKET, 999);
	setint("set unknown option 999", st, SOL_SOCKET, 999, 1);
	getint("level SOL_IP", st, 0 /* SOL_IP */, 1);
	setint("set level SOL_IP", st, 0 /* SOL_IP */, 1, 1);
	getint("level SOL_TCP", st, 6 /* SOL_TCP */, 1);
	getint("level 999", st, 999, 1);
	CHECK("set short optlen", ({ int v = 1; setsockopt(st, SOL_SOCKET, SO_KEEPALIVE, &v, 2); }));
	CHECK("set SO_ZEROCOPY", ({ int v = 1; setsockopt(st, SOL_SOCKET, SO_ZEROCOPY, &v, sizeof v); }));
	CHECK("set short optlen unknown", ({ int v = 1; setsockopt(st, SOL_SOCKET, 999, &v, 2); }));
	CHECK("set negative optlen", ({ int v = 1; setsockopt(st, SOL_SOCKET, SO_KEEPALIVE, &v, -1); }));
	CHECK("set bad pointer", setsockopt(st, SOL_SOCKET, SO_KEEPALIVE, BADPTR, 4));
	CHECK("set bad pointer unknown", setsockopt(st, SOL_SOCKET, 999, BADPTR, 4));
	CHECK("get short optlen", ({ int v = -1; socklen_t l = 2; getsockopt(st, SOL_SOCKET, SO_TYPE, &v, &l) < 0 ? -1 : (long)l * 100000 + (v & 0xffff); }));
	CHECK("get long optlen", ({ int v[4]; socklen_t l = 16; getsockopt(st, SOL_SOCKET, SO_TYPE, v, &l) < 0 ? -1 : (long)l; }));
	CHECK("get negative optlen", ({ int v; socklen_t l = -1; getsockopt(st, SOL_SOCKET, SO_TYPE, &v, &l); }));
	CHECK("get bad optlen pointer", ({ int v; getsockopt(st, SOL_SOCKET, SO_TYPE, &v, BADPTR); }));
	CHECK("get bad value pointer", ({ socklen_t l = 4; getsockopt(st, SOL_SOCKET, SO_TYPE, BADPTR, &l); }));
	CHECK("getsockopt on a file", ({ int v; socklen_t l = 4; getsockopt(1, SOL_SOCKET, SO_TYPE, &v, &l); }));
	CHECK("getsockopt bad fd", ({ int v; socklen_t l = 4; getsockopt(99, SOL_SOCKET, SO_TYPE, &v, &l); }));

	/* timeouts */
	struct timeval tv = {1, 500000}, got;
	socklen_t tl = sizeof got;
	CHECK("set SO_RCVTIMEO", setsockopt(st, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	CHECK("get SO_RCVTIMEO", getsockopt(st, SOL_SOCKET, SO_RCVTIMEO, &got, &tl));
	printf("rcvtimeo %ld.%06ld len %d\n", (long)got.tv_sec, (long)got.tv_usec, (int)tl);
	tv.tv_usec = 1000000;
	CHECK("set SO_SNDTIMEO bad usec", setsockopt(st, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	CHECK("set SO_SNDTIMEO short", setsockopt(st, SOL_SOCKET, SO_SNDTIMEO, &tv, 8));
	tv.tv_sec = -5; tv.tv_usec = 0;
	CHECK("set SO_SNDTIMEO negative", setsockopt(st, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	tl = sizeof got;
	getsockopt(st, SOL_SOCKET, SO_SNDTIMEO, &got, &tl);
	printf("sndtimeo %ld.%06ld\n", (long)got.tv_sec, (long)got.tv_usec);

	/* SO_LINGER */
	struct linger lg = {5, 30}, lgot;
	socklen_t ll = sizeof lgot;
	CHECK("set SO_LINGER", setsockopt(st, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	CHECK("get SO_LINGER", getsockopt(st, SOL_SOCKET, SO_LINGER, &lgot, &ll));
	printf("linger %d %d len %d\n", lgot.l_onoff, lgot.l_linger, (int)ll);
	CHECK("set SO_LINGER short", setsockopt(st, SOL_SOCKET, SO_LINGER, &lg, 4));

	/* SO_PEERCRED and SO_PEERGROUPS */
	struct ucred uc;
	socklen_t ul = sizeof uc;
	CHECK("SO_PEERCRED unconnected", getsockopt(dg, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
	printf("pid %d uid %d gid %d\n", uc.pid, (int)uc.uid, (int)uc.gid);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	ul = sizeof uc;
	CHECK("SO_PEERCRED pair", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul));
	printf("pid is mine %d uid %d gid %d len %d\n", uc.pid == getpid(), (int)uc.uid, (int)uc.gid, (int)ul);
	ul = 4;
	CHECK("SO_PEERCRED short", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul));
	printf("len %d\n", (int)ul);
	gid_t groups[64];
	socklen_t gl = sizeof groups;
	CHECK("SO_PEERGROUPS", getsockopt(sv[0], SOL_SOCKET, SO_PEERGROUPS, groups, &gl));
	printf("groups len matches getgroups %d\n", (int)gl == (int)(getgroups(0, NULL) * sizeof(gid_t)));
	gl = 0;
	int ng = getgroups(0, NULL);
	CHECK("SO_PEERGROUPS len 0", getsockopt(sv[0], SOL_SOCKET, SO_PEERGROUPS, groups, &gl));
	printf("len %d\n", ng > 0 ? (int)gl : -1);
	fflush(stdout);
	pid_t ch = fork();
	if (ch == 0) {
		gid_t three[3] = {11, 22, 33};
		if (setgroups(3, three) < 0) _exit(5);
		int pv[2];
		socketpair(AF_UNIX, SOCK_STREAM, 0, pv);
		gl = 4;
		CHECK("SO_PEERGROUPS too short", getsockopt(pv[0], SOL_SOCKET, SO_PEERGROUPS, groups, &gl));
		printf("needed %d\n", (int)gl);
		gl = sizeof groups;
		CHECK("SO_PEERGROUPS three", getsockopt(pv[0], SOL_SOCKET, SO_PEERGROUPS, groups, &gl));
		printf("len %d: %d %d %d\n", (int)gl, (int)groups[0], (int)groups[1], (int)groups[2]);
		fflush(stdout);
		_exit(0);
	}
	int cst;
	waitpid(ch, &cst, 0);
	describe("groups child", cst);
	gl = sizeof groups;
	CHECK("SO_PEERGROUPS unconnected", getsockopt(st, SOL_SOCKET, SO_PEERGROUPS, groups, &gl));

	/* ioctls */
	write(sv[0], "12345", 5);
	CHECK("FIONREAD", ({ int n = -1; ioctl(sv[1], FIONREAD, &n); n; }));
	CHECK("SIOCINQ", ({ int n = -1; ioctl(sv[1], SIOCINQ, &n); n; }));
	CHECK("SIOCOUTQ nonzero", ({ int n = -1; ioctl(sv[0], SIOCOUTQ, &n); n > 0; }));
	char b[8];
	read(sv[1], b, 5);
	CHECK("SIOCOUTQ after read", ({ int n = -1; ioctl(sv[0], SIOCOUTQ, &n); n; }));
	CHECK("FIONREAD bad pointer", ioctl(sv[1], FIONREAD, BADPTR));
	CHECK("TCGETS", ({ char t[64]; ioctl(sv[1], 0x5401, t); }));
	int lst = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a;
	bind(lst, (struct sockaddr *)&a, sun_abstract(&a, "kite-opts-listener"));
	listen(lst, 1);
	CHECK("FIONREAD on a listener", ({ int n = -1; ioctl(lst, FIONREAD, &n); }));
	getint("SO_ACCEPTCONN listener", lst, SOL_SOCKET, SO_ACCEPTCONN);
	int on = 1;
	CHECK("FIONBIO", ioctl(sv[0], FIONBIO, &on));
	CHECK("O_NONBLOCK", fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	return 0;
}
