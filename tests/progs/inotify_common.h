/* Helpers shared by the inotify_* differential tests: drain an inotify
 * fd and print each event with its mask by name; cookies print as the
 * order in which they were first seen (1, 2...), 0 staying 0. */
#include "epoll_common.h"
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>

static uint32_t cookies[64];
static int ncookies;

static int cookie_index(uint32_t c) {
	if (c == 0) return 0;
	for (int i = 0; i < ncookies; i++)
		if (cookies[i] == c) return i + 1;
	if (ncookies < 64) cookies[ncookies++] = c;
	return ncookies;
}

static void print_mask(uint32_t m) {
	static const struct { uint32_t bit; const char *name; } names[] = {
		{IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
		{IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
		{IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
		{IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"},
		{IN_MOVE_SELF, "MOVE_SELF"}, {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"},
		{IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"},
	};
	const char *sep = "";
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (m & names[i].bit) {
			printf("%s%s", sep, names[i].name);
			sep = "|";
			m &= ~names[i].bit;
		}
	}
	if (m) printf("%s0x%x", sep, m);
}

/* drain reads every queued event (the fd must be non-blocking) and
 * prints them under label; wds print relative to base. */
static void drain(const char *label, int fd, int base) {
	char buf[4096] __attribute__((aligned(8)));
	int avail = -1;
	ioctl(fd, FIONREAD, &avail);
	printf("%s: FIONREAD %d\n", label, avail);
	for (;;) {
		errno = 0;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno != EAGAIN) printf("  read: -1 %s\n", errname(errno));
			return;
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			printf("  wd=%d ", e->wd < 0 ? e->wd : e->wd - base);
			print_mask(e->mask);
			printf(" cookie=%d len=%u name=%s\n", cookie_index(e->cookie), e->len, e->len ? e->name : "");
			p += sizeof *e + e->len;
		}
	}
}

/* write_file creates or truncates path and writes s to it. */
static void write_file(const char *path, const char *s) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) { printf("open %s: %s\n", path, errname(errno)); exit(1); }
	if (write(fd, s, strlen(s)) < 0) printf("write: %s\n", errname(errno));
	close(fd);
}
