// Writes bigger than the room left in stdout, a pipe nobody reads
// (TestConsoleFullWrite). Under kite stdout is kite's console over the
// host pipe, which kite keeps blocking: kite must still never sleep in a
// host write. A non-blocking write takes the pipe's free room and returns
// short, the next fails with EAGAIN; a blocking write into the full pipe
// fails with EINTR when a handler without SA_RESTART catches a signal;
// a blocking write the child then ends with SIGKILL ends the program.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void handler(int sig) {
	(void)sig;
	caught = 1;
}

#define BIG (1 << 20)

int main(void) {
	static char buf[BIG];
	memset(buf, 'x', sizeof buf);
	int fl = fcntl(1, F_GETFL);
	if (fcntl(1, F_SETFL, fl | O_NONBLOCK) < 0) {
		fprintf(stderr, "F_SETFL: %s\n", strerror(errno));
		return 1;
	}
	// One byte first, so that the room left (15 of the pipe's 16 pages
	// by default) is less than a 64 KiB chunk kite's VFS hands on.
	ssize_t n = write(1, buf, 1);
	fprintf(stderr, "nonblocking write of 1 byte: %zd\n", n);
	n = write(1, buf, BIG);
	fprintf(stderr, "nonblocking write: %s\n",
	        n > 0 && n < BIG ? "short, some written" : n < 0 ? strerror(errno) : "all or nothing");
	n = write(1, buf, BIG);
	fprintf(stderr, "nonblocking write into the full pipe: %zd %s\n", n, n < 0 ? strerror(errno) : "");
	if (fcntl(1, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		fprintf(stderr, "F_SETFL: %s\n", strerror(errno));
		return 1;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler; // no SA_RESTART
	sigaction(SIGUSR1, &sa, NULL);
	int go[2], stop[2];
	if (pipe(go) < 0 || pipe(stop) < 0) {
		perror("pipe");
		return 1;
	}
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		close(go[1]);
		close(stop[1]);
		char c;
		// Step 1: signal the parent, which is about to write or writing,
		// until it says the write returned. The signal can come before
		// the write starts (the handler runs, the write then waits for
		// the next one), so it is repeated; the poll timeout only paces
		// the repeats, the output is the same whatever the timing.
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		struct pollfd p = {.fd = stop[0], .events = POLLIN};
		do
			kill(parent, SIGUSR1);
		while (poll(&p, 1, 100) == 0);
		if (read(stop[0], &c, 1) != 1)
			_exit(1);
		// Step 2: kill the parent, about to write or blocked writing.
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		kill(parent, SIGKILL);
		_exit(0);
	}
	close(go[0]);
	close(stop[0]);
	fprintf(stderr, "about to write\n");
	if (write(go[1], "1", 1) != 1)
		return 1;
	n = write(1, buf, BIG);
	fprintf(stderr, "blocking write: %zd %s, handler ran: %d\n", n, n < 0 ? strerror(errno) : "", caught);
	if (write(stop[1], "1", 1) != 1)
		return 1;
	fprintf(stderr, "about to write again\n");
	if (write(go[1], "2", 1) != 1)
		return 1;
	n = write(1, buf, BIG);
	fprintf(stderr, "not reached: %zd\n", n);
	return 0;
}
