/* Helpers shared by the file_*.c differential tests: print each call's
 * result with errno's name, and make a private directory under /tmp. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EMLINK: return "EMLINK";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOLCK: return "ENOLCK";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EOVERFLOW: return "EOVERFLOW";
	case ENODATA: return "ENODATA";
	case EDEADLK: return "EDEADLK";
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

/* CHECK0 prints only success or the errno (for calls that return an fd
 * or a count whose exact value does not matter). */
#define CHECKOK(label, expr) do { \
	errno = 0; \
	long _r = (long)(expr); \
	if (_r < 0) printf("%s: -1 %s\n", label, errname(errno)); \
	else printf("%s: ok\n", label); \
} while (0)

/* bad is an address no program maps; volatile keeps the compiler from
 * warning about it. */
static void *volatile bad = (void *)8;

/* neg is -1 behind the compiler's back. */
static volatile int neg = -1;

static char dir[256];

/* enter makes a fresh directory under /tmp and changes into it. */
static void enter(const char *name) {
	snprintf(dir, sizeof dir, "/tmp/kite-%s-%d", name, (int)getpid());
	if (mkdir(dir, 0755) < 0 || chdir(dir) < 0) {
		printf("setup: %s\n", strerror(errno));
		exit(1);
	}
	umask(022);
}

/* rmtree removes path and everything below it. */
static void rmtree(const char *path) {
	struct stat st;
	if (lstat(path, &st) < 0) return;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, 0755);
		DIR *d = opendir(path);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d)) != NULL) {
				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
				char sub[4096];
				snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
				rmtree(sub);
			}
			closedir(d);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* cleanup removes the directory made by enter. */
static void cleanup(void) {
	if (chdir("/") < 0) return;
	rmtree(dir);
}
