/* O_TMPFILE: an unnamed file in a directory, linked later with
 * linkat(AT_EMPTY_PATH) or through /proc/self/fd with AT_SYMLINK_FOLLOW;
 * O_EXCL makes it unlinkable; error cases. TF_DIR picks the file system
 * (tests/pagecache_test.go runs it on an overlay root); /tmp by default. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EISDIR: return "EISDIR";
	case EEXIST: return "EEXIST";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%-32s = %ld %s\n", name, r_ < 0 ? -1L : (r_ > 2 ? 3 : r_), r_ < 0 ? en(errno) : ""); } while (0)

static char dir[64];

/* linkname prints a /proc/self/fd link with the directory and inode
 * number hidden. */
static void linkname(int fd) {
	char path[64], link[256];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	char *hash = strchr(link, '#');
	if (hash) {
		char *end = hash + 1;
		while (*end >= '0' && *end <= '9')
			end++;
		memmove(hash + 1, end, strlen(end) + 1);
		hash[0] = 'N';
	}
	size_t dl = strlen(dir);
	printf("link: %s\n", strncmp(link, dir, dl) == 0 ? link + dl : link);
}

int main(void) {
	char a[96], b[96], c[96];
	snprintf(dir, sizeof dir, "%s/tmpfile_%d", getenv("TF_DIR") ? getenv("TF_DIR") : "/tmp", getpid());
	mkdir(dir, 0700);
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	snprintf(c, sizeof c, "%s/c", dir);

	int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	printf("open O_TMPFILE: %s\n", fd >= 0 ? "ok" : en(errno));
	write(fd, "tmpfile data", 12);
	struct stat st;
	fstat(fd, &st);
	printf("nlink %ld size %ld mode %o\n", (long)st.st_nlink, (long)st.st_size, st.st_mode);
	linkname(fd);
	/* the file is mappable like any other */
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("map reads: %.12s\n", m);
	memcpy(m, "TMPFILE", 7);

	TRY("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, a, AT_EMPTY_PATH));
	fstat(fd, &st);
	printf("nlink after link %ld\n", (long)st.st_nlink);
	linkname(fd);
	int r = open(a, O_RDONLY);
	char buf[32] = {0};
	read(r, buf, 12);
	printf("linked file reads: %s\n", buf);
	close(r);

	/* linking through /proc/self/fd */
	int fd2 = open(dir, O_TMPFILE | O_WRONLY, 0640);
	write(fd2, "second", 6);
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd2);
	TRY("linkat /proc/self/fd follow", linkat(AT_FDCWD, proc, AT_FDCWD, b, AT_SYMLINK_FOLLOW));
	r = open(b, O_RDONLY);
	memset(buf, 0, sizeof buf);
	read(r, buf, 6);
	printf("proc-linked file reads: %s\n", buf);
	stat(b, &st);
	printf("mode %o\n", st.st_mode & 07777);
	TRY("link again to existing name", linkat(fd2, "", AT_FDCWD, b, AT_EMPTY_PATH));

	/* A forked child has credentials of its own: without
	 * CAP_DAC_READ_SEARCH it may not link the fd its parent opened
	 * (Linux 6.10 and later let the opener's credentials link it). */
	char d[96];
	snprintf(d, sizeof d, "%s/d", dir);
	fflush(stdout);
	pid_t k = fork();
	if (k == 0) {
		TRY("child links the parent's fd", linkat(fd2, "", AT_FDCWD, d, AT_EMPTY_PATH));
		unlink(d);
		fflush(stdout);
		_exit(0);
	}
	waitpid(k, NULL, 0);
	chdir(dir);
	TRY("AT_FDCWD links the cwd", linkat(AT_FDCWD, "", AT_FDCWD, d, AT_EMPTY_PATH));
	chdir("/");

	/* O_EXCL: never linkable */
	int fd3 = open(dir, O_TMPFILE | O_RDWR | O_EXCL, 0600);
	TRY("linkat O_EXCL tmpfile", linkat(fd3, "", AT_FDCWD, c, AT_EMPTY_PATH));
	TRY("c exists", access(c, F_OK));

	/* errors */
	TRY("O_TMPFILE read-only", open(dir, O_TMPFILE | O_RDONLY, 0600));
	TRY("O_TMPFILE|O_CREAT", open(dir, O_TMPFILE | O_CREAT | O_RDWR, 0600));
	TRY("O_TMPFILE on a file", open(a, O_TMPFILE | O_RDWR, 0600));
	TRY("O_TMPFILE missing dir", open("/tmp/no/such", O_TMPFILE | O_RDWR, 0600));
	TRY("O_TMPFILE in /proc", open("/proc", O_TMPFILE | O_RDWR, 0600));

	unlink(a);
	unlink(b);
	rmdir(dir);
	return 0;
}
