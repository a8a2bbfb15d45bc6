/* A tmpfs mounted without size= or nr_inodes= is limited as Linux limits
 * it: to half of the memory's pages (sysinfo's totalram) and as many
 * inodes, which statfs reports; size= and nr_inodes= set the limits, and
 * fallocate, write and creating files beyond them fail with ENOSPC.
 * Runs in a private mount namespace (with a user namespace when not
 * root). */
#include "file_common.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

static void put(const char *path, const char *text) {
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) < 0) printf("write %s: %s\n", path, errname(errno));
	if (fd >= 0) close(fd);
}

static int newns(void) {
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWNS) < 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			printf("unshare: %s\n", errname(errno));
			return -1;
		}
		char map[64];
		put("/proc/self/setgroups", "deny");
		snprintf(map, sizeof map, "0 %d 1", uid);
		put("/proc/self/uid_map", map);
		snprintf(map, sizeof map, "0 %d 1", gid);
		put("/proc/self/gid_map", map);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("make / private: %s\n", errname(errno));
		return -1;
	}
	return 0;
}

static void show(const char *label, const char *path) {
	struct statvfs s;
	if (statvfs(path, &s) < 0) {
		printf("%s: statvfs %s\n", label, errname(errno));
		return;
	}
	printf("%s: bsize %lu blocks %llu bfree %llu files %llu ffree %llu\n", label, s.f_bsize,
	       (unsigned long long)s.f_blocks, (unsigned long long)s.f_bfree, (unsigned long long)s.f_files,
	       (unsigned long long)s.f_ffree);
}

static void body(void) {
	struct sysinfo si;
	struct statvfs s;
	mkdir("def", 0755);
	mkdir("small", 0755);
	if (mount("t", "def", "tmpfs", 0, NULL) < 0) {
		printf("mount default: %s\n", errname(errno));
		return;
	}
	if (sysinfo(&si) < 0 || statvfs("def", &s) < 0) {
		printf("sysinfo/statvfs: %s\n", errname(errno));
		return;
	}
	unsigned long long half = (unsigned long long)si.totalram * si.mem_unit / 4096 / 2;
	printf("default: bsize %lu, blocks are half of the memory's pages: %s, inodes as many: %s, all free: %s\n",
	       s.f_bsize, s.f_blocks == half ? "yes" : "no", s.f_files == half ? "yes" : "no",
	       s.f_bfree == s.f_blocks && s.f_ffree == s.f_files - 1 ? "yes" : "no");
	if (s.f_blocks != half || s.f_files != half)
		printf("blocks %llu files %llu half %llu\n", (unsigned long long)s.f_blocks,
		       (unsigned long long)s.f_files, half);
	/* More than the default size: ENOSPC, and nothing is left allocated. */
	int fd = open("def/big", O_CREAT | O_RDWR, 0600);
	long r = fallocate(fd, 0, 0, (off_t)(half + 1) * 4096);
	printf("fallocate beyond the default size: %s\n", r < 0 ? errname(errno) : "OK");
	show("after", "def");
	close(fd);

	if (mount("t", "small", "tmpfs", 0, "size=1m,nr_inodes=4") < 0) {
		printf("mount small: %s\n", errname(errno));
		return;
	}
	show("small", "small");
	fd = open("small/f", O_CREAT | O_RDWR, 0600);
	printf("fallocate 2m: %s\n", fallocate(fd, 0, 0, 2 << 20) < 0 ? errname(errno) : "OK");
	printf("fallocate 1m: %s\n", fallocate(fd, 0, 0, 1 << 20) < 0 ? errname(errno) : "OK");
	show("full", "small");
	printf("write past it: %s\n", pwrite(fd, "x", 1, 1 << 20) < 0 ? errname(errno) : "OK");
	printf("ftruncate 0: %s\n", ftruncate(fd, 0) < 0 ? errname(errno) : "OK");
	char buf[8192];
	memset(buf, 'a', sizeof buf);
	long n = 0, w;
	while ((w = write(fd, buf, sizeof buf)) > 0) n += w;
	printf("wrote %ld bytes, then %s\n", n, w < 0 ? errname(errno) : "0");
	close(fd);
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof name, "small/n%d", i);
		int f = open(name, O_CREAT | O_WRONLY, 0600);
		printf("create %s: %s\n", name, f < 0 ? errname(errno) : "OK");
		if (f >= 0) close(f);
	}
	printf("mkdir: %s\n", mkdir("small/d", 0755) < 0 ? errname(errno) : "OK");
	show("inodes used", "small");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("tmpfs_default_size");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (newns() == 0) body();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) printf("child: status %x\n", st);
	cleanup();
	return 0;
}
