/* RLIMIT_FSIZE: a write that crosses the limit is cut short, one that
 * starts at or past it fails with EFBIG and raises SIGXFSZ (write, pwrite,
 * writev, O_APPEND, copy_file_range, sendfile, splice); truncate,
 * ftruncate and fallocate may not grow a file past it (shrinking and
 * KEEP_SIZE may); pipes and /dev/null have no limit; SIGXFSZ ignored
 * leaves EFBIG alone and by default it kills. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t nsig;
static void onxfsz(int s) { (void)s; nsig++; }

static char buf[4096];

static void show(const char *what, long r) {
	int e = errno;
	if (r < 0)
		printf("%s: -1 %s, signals %d\n", what, e == EFBIG ? "EFBIG" : strerror(e), (int)nsig);
	else
		printf("%s: %ld, signals %d\n", what, r, (int)nsig);
	errno = 0;
}

static long size(int fd) {
	struct stat st;
	fstat(fd, &st);
	return (long)st.st_size;
}

int main(void) {
	char path[] = "/tmp/rlimit_fsize.XXXXXX", src[] = "/tmp/rlimit_fsize_src.XXXXXX";
	int fd = mkstemp(path), sfd = mkstemp(src);
	if (fd < 0 || sfd < 0) { perror("mkstemp"); return 1; }
	memset(buf, 'x', sizeof buf);
	/* stdout may be a file: keep the output until the limit is gone. */
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	if (write(sfd, buf, 300) != 300) return 1;

	struct sigaction sa = {0};
	sa.sa_handler = onxfsz;
	sigaction(SIGXFSZ, &sa, NULL);
	struct rlimit rl = {100, RLIM_INFINITY};
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0) { perror("setrlimit"); return 1; }

	show("write 150 at 0", write(fd, buf, 150));
	show("write 10 at 100", write(fd, buf, 10));
	show("write 0 at 100", write(fd, buf, 0));
	show("offset", lseek(fd, 0, SEEK_CUR));
	show("pwrite 10 at 99", pwrite(fd, buf, 10, 99));
	show("pwrite 10 at 200", pwrite(fd, buf, 10, 200));
	show("pwrite 0 at 200", pwrite(fd, buf, 0, 200));
	struct iovec iov[2] = {{buf, 30}, {buf, 50}};
	lseek(fd, 50, SEEK_SET);
	show("writev 80 at 50", writev(fd, iov, 2));
	show("pwritev 80 at 100", pwritev(fd, iov, 2, 100));
	show("size", size(fd));

	int afd = open(path, O_WRONLY | O_APPEND);
	show("append at 100", write(afd, buf, 1));
	show("ftruncate 40", ftruncate(fd, 40));
	show("append 100 at 40", write(afd, buf, 100));
	show("ftruncate 100", ftruncate(fd, 100));
	show("ftruncate 101", ftruncate(fd, 101));
	show("truncate 200", truncate(path, 200));
	show("truncate 30", truncate(path, 30));
	show("size", size(fd));

	show("fallocate 0..200", fallocate(fd, 0, 0, 200));
	show("fallocate 0..100", fallocate(fd, 0, 0, 100));
	show("fallocate KEEP_SIZE 0..200", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 200));
	show("size", size(fd));

	loff_t in = 0, out = 60;
	show("copy_file_range 100 at 60", copy_file_range(sfd, &in, fd, &out, 100, 0));
	printf("offsets %ld %ld\n", (long)in, (long)out);
	in = 0;
	out = 100;
	show("copy_file_range 100 at 100", copy_file_range(sfd, &in, fd, &out, 100, 0));
	printf("offsets %ld %ld\n", (long)in, (long)out);

	off_t soff = 0;
	lseek(fd, 90, SEEK_SET);
	show("sendfile 50 at 90", sendfile(fd, sfd, &soff, 50));
	printf("offset %ld\n", (long)soff);
	show("sendfile 50 at 100", sendfile(fd, sfd, &soff, 50));
	printf("offset %ld\n", (long)soff);

	int p[2];
	if (pipe(p) < 0) return 1;
	show("pipe write 200", write(p[1], buf, 200));
	loff_t o = 95;
	show("splice 20 at 95", splice(p[0], NULL, fd, &o, 20, 0));
	show("splice 20 at 100", splice(p[0], NULL, fd, &o, 20, 0));
	show("pipe read", read(p[0], buf, sizeof buf));
	int nfd = open("/dev/null", O_WRONLY);
	lseek(nfd, 500, SEEK_SET);
	show("/dev/null write 200", write(nfd, buf, 200));
	show("size", size(fd));

	/* Ignored: EFBIG without a handler run. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &sa, NULL);
	show("ignored pwrite at 100", pwrite(fd, buf, 1, 100));

	/* Raising the soft limit lets the write through. */
	rl.rlim_cur = 1000;
	setrlimit(RLIMIT_FSIZE, &rl);
	show("pwrite at 100 after raising", pwrite(fd, buf, 1, 100));

	/* By default SIGXFSZ kills. */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGXFSZ, &sa, NULL);
	rl.rlim_cur = RLIM_INFINITY;
	setrlimit(RLIMIT_FSIZE, &rl);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		rl.rlim_cur = 10;
		setrlimit(RLIMIT_FSIZE, &rl);
		pwrite(fd, buf, 1, 10);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child: signaled %d sig %s\n", WIFSIGNALED(st), WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ ? "SIGXFSZ" : "other");
	unlink(path);
	unlink(src);
	return 0;
}
