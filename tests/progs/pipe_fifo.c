/* FIFOs: mkfifo and mknod, the open rules (blocking until the other side,
 * O_NONBLOCK readers, ENXIO for O_NONBLOCK writers without readers, O_RDWR
 * never waits, EINTR), poll hang-up rules, and data dropped when the last
 * file closes. */
#include "pipe_common.h"
#include <poll.h>

static void on_alrm(int sig) { (void)sig; }

static void sleep_ms(long ms) {
	struct timespec d = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&d, NULL);
}

static int revents(int fd, short events) {
	struct pollfd p = {.fd = fd, .events = events};
	poll(&p, 1, 0);
	return p.revents;
}

int main(void) {
	char dir[64], path[96], path2[96], buf[64];
	struct stat st;
	int st_;
	snprintf(dir, sizeof dir, "/tmp/pipe_fifo.%d", getpid());
	snprintf(path, sizeof path, "%s/fifo", dir);
	snprintf(path2, sizeof path2, "%s/node", dir);
	if (mkdir(dir, 0700) < 0) {
		printf("mkdir: %s\n", errname(errno));
		return 1;
	}
	umask(022);
	CHECK("mkfifo", mkfifo(path, 0666));
	CHECK("mkfifo again", mkfifo(path, 0666));
	CHECK("mknod S_IFIFO", mknod(path2, S_IFIFO | 0600, 0));
	stat(path, &st);
	printf("fifo %d mode %o size %ld\n", S_ISFIFO(st.st_mode), st.st_mode & 07777, (long)st.st_size);

	/* O_NONBLOCK opens */
	CHECK("O_WRONLY|O_NONBLOCK, no reader", open(path, O_WRONLY | O_NONBLOCK));
	int r = open(path, O_RDONLY | O_NONBLOCK);
	printf("O_RDONLY|O_NONBLOCK: %s\n", r >= 0 ? "ok" : errname(errno));
	CHECK("  read, no writer ever", read(r, buf, sizeof buf));
	printf("  revents before any writer %#x\n", revents(r, POLLIN));
	int w = open(path, O_WRONLY | O_NONBLOCK);
	printf("O_WRONLY|O_NONBLOCK with a reader: %s\n", w >= 0 ? "ok" : errname(errno));
	CHECK("  F_GETFL", fcntl(w, F_GETFL));
	CHECK("  F_GETPIPE_SZ", fcntl(w, F_GETPIPE_SZ));
	CHECK("  write", write(w, "fifo!", 5));
	printf("  reader revents %#x writer revents %#x\n", revents(r, POLLIN), revents(w, POLLOUT));
	CHECK("  read", read(r, buf, sizeof buf));
	CHECK("  read empty", read(r, buf, sizeof buf));
	fstat(w, &st);
	printf("  fstat fifo %d\n", S_ISFIFO(st.st_mode));
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", w);
	ssize_t ln = readlink(link, buf, sizeof buf - 1);
	printf("  fd link is the path: %d\n", ln == (ssize_t)strlen(path) && memcmp(buf, path, ln) == 0);
	close(w);
	printf("  reader revents after the writer left %#x\n", revents(r, POLLIN));
	CHECK("  read after the writer left", read(r, buf, sizeof buf));
	close(r);

	/* O_RDWR never waits; data goes when the last file closes */
	int rw = open(path, O_RDWR);
	printf("O_RDWR: %s\n", rw >= 0 ? "ok" : errname(errno));
	CHECK("  write", write(rw, "abc", 3));
	printf("  revents %#x\n", revents(rw, POLLIN | POLLOUT));
	close(rw);
	rw = open(path, O_RDWR | O_NONBLOCK);
	CHECK("  read after reopen", read(rw, buf, sizeof buf));
	close(rw);

	/* blocking opens meet: a reader in a child waits for the writer */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(100);
		int n = read(fd, buf, sizeof buf);
		_exit(n);
	}
	sleep_ms(50);
	w = open(path, O_WRONLY);
	printf("blocking O_WRONLY open: %s\n", w >= 0 ? "ok" : errname(errno));
	write(w, "1234567", 7);
	close(w);
	waitpid(c, &st_, 0);
	describe("reader child (exit = bytes read)", st_);

	/* and a writer in a child waits for the reader */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		int fd = open(path, O_WRONLY);
		if (fd < 0)
			_exit(100);
		_exit(write(fd, "xyz", 3));
	}
	sleep_ms(50);
	r = open(path, O_RDONLY);
	printf("blocking O_RDONLY open: %s\n", r >= 0 ? "ok" : errname(errno));
	waitpid(c, &st_, 0);
	describe("writer child (exit = bytes written)", st_);
	CHECK("read what the child wrote", read(r, buf, sizeof buf));
	CHECK("read at EOF", read(r, buf, sizeof buf));
	printf("revents, writer gone %#x\n", revents(r, POLLIN));
	close(r);

	/* a blocking open interrupted by a signal: the child repeats the
	 * signal until the open has returned, so one comes while it waits
	 * however late a loaded machine lets the parent start it */
	struct sigaction sa = {0};
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	pid_t parent = getpid();
	int gate[2];
	pipe(gate);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		close(gate[1]);
		struct pollfd pf = {.fd = gate[0], .events = POLLIN};
		do
			kill(parent, SIGALRM);
		while (poll(&pf, 1, 20) == 0);
		_exit(0);
	}
	close(gate[0]);
	CHECK("blocking open interrupted", open(path, O_RDONLY));
	close(gate[1]);
	while (waitpid(c, &st_, 0) < 0 && errno == EINTR) {}
	CHECK("O_WRONLY|O_NONBLOCK after the interrupted reader", open(path, O_WRONLY | O_NONBLOCK));

	r = open(path2, O_RDONLY | O_TRUNC | O_NONBLOCK);
	printf("O_RDONLY|O_TRUNC|O_NONBLOCK: %s\n", r >= 0 ? "ok" : errname(errno));
	close(r);
	unlink(path);
	unlink(path2);
	CHECK("rmdir", rmdir(dir));
	return 0;
}
