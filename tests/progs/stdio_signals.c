/* Writes to stdout and reads stdin while another process keeps sending
 * SIGUSR1, which has a handler (first with SA_RESTART, then without): a
 * write to a pipe or file that can take the data, and a read that finds
 * data (or end of file), never fail with EINTR and are never short. Every
 * line must arrive and the summary must say 0 failed or short calls. The
 * test harness gives stdout as a host pipe and stdin as /dev/null;
 * tests/console_test.go runs it again with host files for both. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINES 1500

static volatile sig_atomic_t got;
static void on_usr1(int s) {
	(void)s;
	got = 1;
}

static void phase(int restart) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	got = 0;

	/* The child signals until it reads end of file on stop (the parent
	 * closes it when done, or exits). */
	int stop[2];
	if (pipe2(stop, O_CLOEXEC) < 0) {
		perror("pipe2");
		_exit(1);
	}
	pid_t parent = getpid();
	pid_t c = fork();
	if (c < 0) {
		perror("fork");
		_exit(1);
	}
	if (c == 0) {
		close(stop[1]);
		fcntl(stop[0], F_SETFL, O_NONBLOCK);
		char b;
		while (read(stop[0], &b, 1) < 0 && errno == EAGAIN)
			kill(parent, SIGUSR1);
		_exit(0);
	}
	close(stop[0]);
	/* Handshake: the signals have started. */
	while (!got)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);

	long lines = 0, bad_writes = 0, bad_reads = 0, in_bytes = 0;
	int eof = 0;
	for (long i = 0; i < LINES; i++) {
		char line[32];
		int len = snprintf(line, sizeof line, "%c %ld\n", restart ? 'r' : 'n', i);
		ssize_t n = write(1, line, len);
		if (n == len)
			lines++;
		else
			bad_writes++;
		if (!eof) {
			char in[7];
			n = read(0, in, sizeof in);
			if (n < 0)
				bad_reads++;
			else if (n == 0)
				eof = 1;
			else
				in_bytes += n;
		}
	}
	close(stop[1]);
	int st;
	waitpid(c, &st, 0);
	printf("%s: lines written %ld, short or failed writes %ld, stdin bytes %ld, failed reads %ld, child %d\n",
	       restart ? "SA_RESTART" : "no SA_RESTART", lines, bad_writes, in_bytes, bad_reads,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
}

int main(void) {
	phase(1);
	phase(0);
	return 0;
}
