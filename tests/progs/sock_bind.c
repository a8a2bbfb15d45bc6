/* bind, listen, connect, accept, accept4 on AF_UNIX: path names (the
 * S_IFSOCK inode, umask, EADDRINUSE, ENOENT, ECONNREFUSED, EACCES),
 * abstract names, autobind, getsockname/getpeername, backlog limits,
 * type mismatches and the errno rules of every call. */
#include "sock_common.h"

static void show_name(const char *label, int fd, int peer) {
	struct sockaddr_un a;
	memset(&a, 0x55, sizeof a);
	socklen_t l = sizeof a;
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &l) : getsockname(fd, (struct sockaddr *)&a, &l);
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: len %d family %d", label, (int)l, a.sun_family);
	if (l > offsetof(struct sockaddr_un, sun_path)) {
		if (a.sun_path[0] == 0) {
			printf(" abstract len %d", (int)(l - offsetof(struct sockaddr_un, sun_path) - 1));
		} else {
			printf(" path %s", a.sun_path);
		}
	}
	printf("\n");
	fflush(stdout);
}

int main(void) {
	struct sockaddr_un a, b;
	socklen_t al;
	char buf[64];
	enter_tmpdir();
	umask(022);

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	show_name("unbound name", s, 0);
	show_name("unbound peer", s, 1);
	CHECK("listen unbound", listen(s, 5));
	CHECK("accept unbound", accept(s, NULL, NULL));
	al = sun_path(&a, "srv");
	CHECK("bind addrlen 0", bind(s, (struct sockaddr *)&a, 0));
	CHECK("bind addrlen 1", bind(s, (struct sockaddr *)&a, 1));
	CHECK("bind addrlen 200", bind(s, (struct sockaddr *)&a, 200));
	CHECK("bind bad pointer", bind(s, BADPTR, al));
	CHECK("bind not a socket", bind(1, (struct sockaddr *)&a, al));
	CHECK("bind bad fd", bind(77, (struct sockaddr *)&a, al));
	a.sun_family = AF_INET;
	CHECK("bind wrong family", bind(s, (struct sockaddr *)&a, al));
	a.sun_family = AF_UNIX;
	CHECK("bind no such dir", ({ struct sockaddr_un c; socklen_t cl = sun_path(&c, "nodir/x"); bind(s, (struct sockaddr *)&c, cl); }));
	CHECK("bind path", bind(s, (struct sockaddr *)&a, al));
	show_name("bound name", s, 0);
	struct stat st;
	CHECK("stat socket file", stat("srv", &st));
	printf("S_ISSOCK %d mode %o\n", S_ISSOCK(st.st_mode), st.st_mode & 07777);
	CHECK("open socket file", open("srv", O_RDONLY));
	CHECK("bind again", bind(s, (struct sockaddr *)&b, sun_path(&b, "srv2")));
	CHECK("srv2 left behind", access("srv2", F_OK));
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("bind in use", bind(s2, (struct sockaddr *)&a, al));
	CHECK("bind over regular file", ({ close(open("file", O_CREAT | O_WRONLY, 0644)); bind(s2, (struct sockaddr *)&b, sun_path(&b, "file")); }));
	unlink("file");

	/* connect before listen */
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("connect to bound, not listening", connect(c, (struct sockaddr *)&a, al));
	CHECK("listen", listen(s, 1));
	CHECK("listen again", listen(s, 2));
	CHECK("connect no such file", connect(c, (struct sockaddr *)&b, sun_path(&b, "nosuch")));
	CHECK("connect to a regular file", ({ close(open("file", O_CREAT | O_WRONLY, 0644)); connect(c, (struct sockaddr *)&b, sun_path(&b, "file")); }));
	unlink("file");
	CHECK("connect bad len", connect(c, (struct sockaddr *)&a, 1));
	CHECK("connect bad pointer", connect(c, BADPTR, al));
	CHECK("connect not a socket", connect(1, (struct sockaddr *)&a, al));
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK("connect dgram to stream listener", connect(d, (struct sockaddr *)&a, al));
	CHECK("connect", connect(c, (struct sockaddr *)&a, al));
	CHECK("connect again", connect(c, (struct sockaddr *)&a, al));
	CHECK("connect listener", connect(s, (struct sockaddr *)&a, al));
	show_name("client name", c, 0);
	show_name("client peer", c, 1);
	pollmask("listener with a connection", s, POLLIN | POLLOUT);
	int acceptconn; socklen_t ol = sizeof acceptconn;
	getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &acceptconn, &ol);
	printf("SO_ACCEPTCONN listener %d\n", acceptconn);
	getsockopt(c, SOL_SOCKET, SO_ACCEPTCONN, &acceptconn, &ol);
	printf("SO_ACCEPTCONN client %d\n", acceptconn);

	/* the backlog: listen(1) takes two connections, the third waits */
	int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK("connect second", connect(c2, (struct sockaddr *)&a, al));
	int c3 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK("connect third (backlog full)", connect(c3, (struct sockaddr *)&a, al));
	write(c, "hi", 2);
	struct sockaddr_un pa;
	socklen_t pl = sizeof pa;
	CHECK("accept4 bad flags", syscall(SYS_accept4, s, NULL, NULL, 0x1234));
	CHECK("accept with address", accept(s, (struct sockaddr *)&pa, &pl));
	printf("peer address len %d\n", (int)pl);
	int acc = 4 + 0; (void)acc;
	CHECK("read accepted", ({ int fd = 0; for (fd = 3; fd < 64; fd++) { struct stat x; if (fstat(fd, &x) == 0 && S_ISSOCK(x.st_mode)) { int v; socklen_t vl = sizeof v; if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 0 && fd > c3) break; } } read(fd, buf, sizeof buf); }));
	CHECK("connect third now", connect(c3, (struct sockaddr *)&a, al));
	int a2 = accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK("accept4 flags", fcntl(a2, F_GETFL) & O_NONBLOCK);
	CHECK("accept4 cloexec", fcntl(a2, F_GETFD));
	show_name("accepted name", a2, 0);
	show_name("accepted peer", a2, 1);
	int a3 = accept(s, NULL, NULL);
	CHECK("third accepted", a3 >= 0);
	fcntl(s, F_SETFL, O_NONBLOCK);
	CHECK("accept nonblocking empty", accept(s, NULL, NULL));
	CHECK("accept on connected", accept(c, NULL, NULL));
	CHECK("accept dgram", accept(d, NULL, NULL));
	CHECK("listen dgram", ({ bind(d, (struct sockaddr *)&b, sun_path(&b, "dg")); listen(d, 1); }));
	unlink("dg");
	CHECK("listen connected", listen(c, 1));
	CHECK("getpeername of listener", ({ socklen_t l = sizeof b; getpeername(s, (struct sockaddr *)&b, &l); }));
	CHECK("getsockname bad len pointer", getsockname(s, (struct sockaddr *)&b, BADPTR));
	CHECK("getsockname negative len", ({ socklen_t l = -1; getsockname(s, (struct sockaddr *)&b, &l); }));
	CHECK("getsockname short", ({ socklen_t l = 3; memset(&b, 0, sizeof b); getsockname(s, (struct sockaddr *)&b, &l) == 0 ? (long)l * 1000 + b.sun_path[0] + (b.sun_path[1] == 0) : -1; }));

	/* close of the listener: the file stays, connect gets ECONNREFUSED */
	close(s);
	CHECK("file after close", access("srv", F_OK));
	int c4 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("connect after listener closed", connect(c4, (struct sockaddr *)&a, al));
	CHECK("unlink socket file", unlink("srv"));
	CHECK("bind the name again", bind(c4, (struct sockaddr *)&a, al));
	unlink("srv");

	/* umask and permissions */
	umask(0077);
	int s5 = socket(AF_UNIX, SOCK_STREAM, 0);
	al = sun_path(&a, "priv");
	bind(s5, (struct sockaddr *)&a, al);
	listen(s5, 5);
	stat("priv", &st);
	printf("mode with umask 077: %o\n", st.st_mode & 07777);
	umask(022);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0) _exit(9);
		int x = socket(AF_UNIX, SOCK_STREAM, 0);
		int r = connect(x, (struct sockaddr *)&a, al);
		printf("connect as nobody: %d %s\n", r, r < 0 ? errname(errno) : "");
		chmod("priv", 0777);
		fflush(stdout);
		_exit(0);
	}
	int stt;
	waitpid(p, &stt, 0);
	describe("child", stt);
	chmod("priv", 0722);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0) _exit(9);
		int x = socket(AF_UNIX, SOCK_STREAM, 0);
		int r = connect(x, (struct sockaddr *)&a, al);
		printf("connect as nobody with write permission: %d %s\n", r, r < 0 ? errname(errno) : "");
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, &stt, 0);
	describe("child", stt);
	close(s5);
	unlink("priv");

	/* a symbolic link to the socket, and a rename */
	int s6 = socket(AF_UNIX, SOCK_STREAM, 0);
	al = sun_path(&a, "real");
	bind(s6, (struct sockaddr *)&a, al);
	listen(s6, 5);
	symlink("real", "link");
	int c6 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("connect through a symlink", connect(c6, (struct sockaddr *)&b, sun_path(&b, "link")));
	rename("real", "moved");
	int c7 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("connect after rename", connect(c7, (struct sockaddr *)&b, sun_path(&b, "moved")));
	show_name("name after rename", s6, 0);
	unlink("link");
	unlink("moved");
	close(s6);

	/* abstract names */
	int s7 = socket(AF_UNIX, SOCK_STREAM, 0);
	al = sun_abstract(&a, "kite-test-abstract");
	CHECK("bind abstract", bind(s7, (struct sockaddr *)&a, al));
	show_name("abstract name", s7, 0);
	int s8 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("bind abstract in use", bind(s8, (struct sockaddr *)&a, al));
	CHECK("bind abstract again", bind(s7, (struct sockaddr *)&b, sun_abstract(&b, "other")));
	CHECK("connect abstract not listening", connect(s8, (struct sockaddr *)&a, al));
	listen(s7, 5);
	CHECK("connect abstract", connect(s8, (struct sockaddr *)&a, al));
	show_name("abstract peer", s8, 1);
	CHECK("connect abstract shorter name", ({ int x = socket(AF_UNIX, SOCK_STREAM, 0); connect(x, (struct sockaddr *)&a, al - 1); }));
	close(s7);
	int s9 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("abstract name free after close", bind(s9, (struct sockaddr *)&a, al));
	close(s9);

	/* autobind */
	int s10 = socket(AF_UNIX, SOCK_STREAM, 0);
	a.sun_family = AF_UNIX;
	CHECK("autobind", bind(s10, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path)));
	show_name("autobound", s10, 0);
	CHECK("autobind again", bind(s10, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path)));
	int s11 = socket(AF_UNIX, SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(s11, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	sendto(s11, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&a, sun_abstract(&a, "nobody-here"));
	show_name("autobound by SO_PASSCRED send", s11, 0);

	leave_tmpdir();
	return 0;
}
