/* A session leader exits while a job of its session is in the
 * foreground of its pseudo-terminal: the foreground group gets SIGHUP
 * and the terminal is free for another session. Also poll on the slave:
 * a canonical reader is readable only at the end of a line. */
#include "tty_common.h"

static int report_fd;
static void on_hup(int sig) {
	(void)sig;
	write(report_fd, "H", 1);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int m, s;
	if (open_pair(&m, &s, 0) < 0)
		return 1;
	/* poll: a partial line is not readable, a full one is */
	write(m, "ab", 2);
	struct pollfd p = {s, POLLIN, 0};
	printf("partial line readable %d\n", poll(&p, 1, 100));
	write(m, "\n", 1);
	printf("full line readable %d\n", poll(&p, 1, 2000));
	char buf[64];
	read(s, buf, sizeof buf);

	int rep[2], go[2];
	pipe(rep);
	pipe(go);
	pid_t leader = fork();
	if (leader == 0) {
		setsid();
		if (ioctl(s, TIOCSCTTY, 0) < 0) {
			printf("TIOCSCTTY: %s\n", errname(errno));
			_exit(1);
		}
		pid_t job = fork();
		if (job == 0) {
			setpgid(0, 0);
			report_fd = rep[1];
			signal(SIGHUP, on_hup);
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(s, getpgrp());
			write(rep[1], "R", 1); /* ready */
			char c;
			read(go[0], &c, 1); /* until the test is over */
			_exit(0);
		}
		char c;
		read(rep[0], &c, 1); /* the job is in the foreground */
		printf("job in foreground %d\n", tcgetpgrp(s) == job);
		_exit(0); /* the leader exits: the job gets SIGHUP */
	}
	int st;
	waitpid(leader, &st, 0);
	char c = 0;
	read(rep[0], &c, 1);
	printf("foreground job got %c\n", c);
	/* the terminal is free: a new session may take it */
	pid_t other = fork();
	if (other == 0) {
		setsid();
		printf("new session TIOCSCTTY: %s\n", errname(ioctl(s, TIOCSCTTY, 0) < 0 ? errno : 0));
		_exit(0);
	}
	waitpid(other, &st, 0);
	write(go[1], "x", 1);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
