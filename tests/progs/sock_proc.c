/* Sockets as /proc shows them: /proc/self/fd links read socket:[INODE]
 * with fstat's inode, and /proc/net/unix lists bound, listening and
 * connected AF_UNIX sockets with their type, state, inode and name. */
#include "sock_common.h"

/* netline prints the /proc/net/unix fields of the socket with inode ino
 * (Flags, Type, St, whether the inode matches, the path). */
static void netline(const char *label, int fd) {
	struct stat st;
	fstat(fd, &st);
	FILE *f = fopen("/proc/net/unix", "r");
	if (!f) { printf("%s: no /proc/net/unix\n", label); return; }
	char line[512];
	int found = 0;
	if (!fgets(line, sizeof line, f)) { fclose(f); return; }
	line[strcspn(line, "\n")] = 0;
	printf("header: %s\n", line);
	while (fgets(line, sizeof line, f)) {
		unsigned long refs, proto, flags, type, state, ino;
		char path[256] = "";
		if (sscanf(line, "%*[0-9a-f]: %lx %lx %lx %lx %lx %lu %255s", &refs, &proto, &flags, &type, &state, &ino, path) < 6) continue;
		if (ino != st.st_ino) continue;
		found = 1;
		printf("%s: flags %05lx type %04lx st %02lx path %s\n", label, flags, type, state, path[0] ? path : "(none)");
	}
	if (!found) printf("%s: not listed\n", label);
	fclose(f);
	fflush(stdout);
}

int main(void) {
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct stat st;
	fstat(sv[0], &st);
	char want[64], link[64], path[64];
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
	snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	printf("fd link is socket:[ino] %d\n", strcmp(link, want) == 0);
	CHECK("open /proc/self/fd/N of a socket", open(path, O_RDWR));
	netline("pair", sv[0]);

	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a;
	socklen_t al = sun_abstract(&a, "kite-proc-net-unix");
	bind(l, (struct sockaddr *)&a, al);
	netline("bound", l);
	listen(l, 4);
	netline("listening", l);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, al);
	netline("connected client", c);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	netline("datagram", d);
	int q = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	netline("seqpacket", q);
	return 0;
}
