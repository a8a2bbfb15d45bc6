/* openat2: struct open_how validation and the RESOLVE_* restrictions. */
#include "file_common.h"
#include <stdint.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct how {
	uint64_t flags, mode, resolve;
	uint64_t extra;
};

#define NO_XDEV 0x01
#define NO_MAGICLINKS 0x02
#define NO_SYMLINKS 0x04
#define BENEATH 0x08
#define IN_ROOT 0x10
#define CACHED 0x20

static long o2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
	struct how h = {flags, mode, resolve, 0};
	long fd = syscall(SYS_openat2, dirfd, path, &h, 24);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

int main(void) {
	enter("openat2");
	mkdir("base", 0755);
	mkdir("base/sub", 0755);
	close(open("base/sub/f", O_WRONLY | O_CREAT, 0644));
	close(open("outside", O_WRONLY | O_CREAT, 0644));
	symlink("sub/f", "base/rel");
	symlink("..", "base/up");
	symlink("/", "base/abs");
	int base = open("base", O_RDONLY | O_DIRECTORY);

	CHECK("plain", o2(base, "sub/f", O_RDONLY, 0, 0));
	CHECK("through symlink", o2(base, "rel", O_RDONLY, 0, 0));
	CHECK("beneath ok", o2(base, "sub/../sub/f", O_RDONLY, 0, BENEATH));
	CHECK("beneath ..", o2(base, "../outside", O_RDONLY, 0, BENEATH));
	CHECK("beneath absolute", o2(base, "/", O_RDONLY, 0, BENEATH));
	CHECK("beneath symlink up", o2(base, "up/outside", O_RDONLY, 0, BENEATH));
	CHECK("beneath absolute symlink", o2(base, "abs", O_RDONLY, 0, BENEATH));
	CHECK("beneath relative symlink", o2(base, "rel", O_RDONLY, 0, BENEATH));
	CHECK("in_root absolute", o2(base, "/sub/f", O_RDONLY, 0, IN_ROOT));
	CHECK("in_root dotdot clamps", o2(base, "../../sub/f", O_RDONLY, 0, IN_ROOT));
	CHECK("in_root symlink up", o2(base, "up/sub/f", O_RDONLY, 0, IN_ROOT));
	CHECK("in_root outside", o2(base, "../outside", O_RDONLY, 0, IN_ROOT));
	CHECK("no_symlinks", o2(base, "rel", O_RDONLY, 0, NO_SYMLINKS));
	CHECK("no_symlinks inner", o2(base, "up/base/sub/f", O_RDONLY, 0, NO_SYMLINKS));
	CHECK("no_symlinks O_PATH|O_NOFOLLOW", o2(base, "rel", O_PATH | O_NOFOLLOW, 0, NO_SYMLINKS));
	CHECK("no_symlinks plain", o2(base, "sub/f", O_RDONLY, 0, NO_SYMLINKS));
	int root = open("/", O_RDONLY | O_DIRECTORY);
	CHECK("no_xdev into /proc", o2(root, "proc/self", O_RDONLY, 0, NO_XDEV));
	CHECK("no_xdev same fs", o2(base, "sub/f", O_RDONLY, 0, NO_XDEV));
	CHECK("cached O_CREAT", o2(base, "newfile", O_RDWR | O_CREAT, 0600, CACHED));
	CHECK("create", o2(base, "newfile", O_RDWR | O_CREAT | O_EXCL, 0600, BENEATH));
	CHECK("create exists", o2(base, "newfile", O_RDWR | O_CREAT | O_EXCL, 0600, 0));

	CHECK("bad resolve", o2(base, "sub/f", O_RDONLY, 0, 0x40));
	CHECK("beneath|in_root", o2(base, "sub/f", O_RDONLY, 0, BENEATH | IN_ROOT));
	CHECK("mode without O_CREAT", o2(base, "sub/f", O_RDONLY, 0644, 0));
	CHECK("mode too big", o2(base, "x", O_RDWR | O_CREAT, 010000, 0));
	CHECK("unknown flag", o2(base, "sub/f", O_RDONLY | 0x4, 0, 0));
	struct how h = {O_RDONLY, 0, 0, 0};
	CHECK("size 8", syscall(SYS_openat2, base, "sub/f", &h, 8));
	h.extra = 1;
	CHECK("size 32 nonzero tail", syscall(SYS_openat2, base, "sub/f", &h, 32));
	h.extra = 0;
	long fd = syscall(SYS_openat2, base, "sub/f", &h, 32);
	CHECKOK("size 32 zero tail", fd);
	if (fd >= 0) close(fd);
	CHECK("bad how", syscall(SYS_openat2, base, "sub/f", bad, 24));
	CHECK("bad fd", o2(99, "sub/f", O_RDONLY, 0, 0));

	close(base);
	close(root);
	cleanup();
	return 0;
}
