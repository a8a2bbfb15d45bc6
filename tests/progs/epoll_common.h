/* Helpers shared by the epoll_*, eventfd_*, timerfd_* and signalfd_*
 * differential tests: print each call's result with errno's name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ESPIPE: return "ESPIPE";
	case ELOOP: return "ELOOP";
	case ENOSYS: return "ENOSYS";
	case ECANCELED: return "ECANCELED";
	case ENOTTY: return "ENOTTY";
	case ECHILD: return "ECHILD";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

/* CHECK prints "label: ret" or "label: -1 ENAME". */
#define CHECK(label, expr) do { \
	errno = 0; \
	long _r = (long)(expr); \
	if (_r < 0) printf("%s: -1 %s\n", label, errname(errno)); \
	else printf("%s: %ld\n", label, _r); \
} while (0)

/* CHECKOK prints only success or the errno (for fds and counts whose
 * exact value does not matter). */
#define CHECKOK(label, expr) do { \
	errno = 0; \
	long _r = (long)(expr); \
	if (_r < 0) printf("%s: -1 %s\n", label, errname(errno)); \
	else printf("%s: ok\n", label); \
} while (0)

/* bad is an address no program maps. */
static void *volatile bad = (void *)8;

/* Event bits printed by name, so outputs are readable. */
static void print_events(const char *label, uint32_t ev) {
	static const struct { uint32_t bit; const char *name; } names[] = {
		{0x001, "IN"}, {0x002, "PRI"}, {0x004, "OUT"}, {0x008, "ERR"},
		{0x010, "HUP"}, {0x020, "NVAL"}, {0x040, "RDNORM"}, {0x080, "RDBAND"},
		{0x100, "WRNORM"}, {0x200, "WRBAND"}, {0x400, "MSG"}, {0x2000, "RDHUP"},
	};
	printf("%s:", label);
	if (!ev) printf(" 0");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ev & names[i].bit) { printf(" %s", names[i].name); ev &= ~names[i].bit; }
	if (ev) printf(" %#x", ev);
	printf("\n");
}
