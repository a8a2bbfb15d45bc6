/* Several processes send datagrams to one AF_UNIX datagram socket whose
 * receive queue is full most of the time: each blocked sender is woken
 * when the receiver reads, and all but one of them find the queue full
 * again and must wait again (a sender that waited a second time without
 * being registered for the wake-up hung). Every datagram arrives, each
 * sender's in order. */
#include "sock_common.h"

#define SENDERS 4
#define PER_SENDER 3000L

int main(void) {
	enter_tmpdir();
	int r = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un ra;
	socklen_t rl = sun_path(&ra, "r");
	if (bind(r, (struct sockaddr *)&ra, rl) < 0) {
		perror("bind");
		return 1;
	}
	/* go: each sender waits for a byte so that all start together */
	int go[2];
	if (pipe(go) < 0) return 1;
	pid_t kids[SENDERS];
	for (int k = 0; k < SENDERS; k++) {
		kids[k] = fork();
		if (kids[k] < 0) return 1;
		if (kids[k] == 0) {
			close(go[1]);
			char c;
			if (read(go[0], &c, 1) != 1) _exit(2);
			int s = socket(AF_UNIX, SOCK_DGRAM, 0);
			for (long i = 0; i < PER_SENDER; i++) {
				long msg[2] = {k, i};
				if (sendto(s, msg, sizeof msg, 0, (struct sockaddr *)&ra, rl) != sizeof msg) _exit(3);
			}
			_exit(0);
		}
	}
	close(go[0]);
	if (write(go[1], "gggg", SENDERS) != SENDERS) return 1;
	long next[SENDERS] = {0}, got = 0, disorder = 0;
	while (got < SENDERS * PER_SENDER) {
		long msg[2];
		ssize_t n = recv(r, msg, sizeof msg, 0);
		if (n != sizeof msg || msg[0] < 0 || msg[0] >= SENDERS) {
			printf("bad datagram (%zd bytes)\n", n);
			return 1;
		}
		if (msg[1] != next[msg[0]]) disorder++;
		next[msg[0]] = msg[1] + 1;
		got++;
	}
	int ok = 1;
	for (int k = 0; k < SENDERS; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ok = 0;
	}
	printf("received %ld datagrams from %d senders, out of order: %ld, senders ok: %s\n",
	       got, SENDERS, disorder, ok ? "yes" : "no");
	unlink("r");
	leave_tmpdir();
	return 0;
}
