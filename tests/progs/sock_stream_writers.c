/* Several processes write to one AF_UNIX stream socket with a small
 * SO_SNDBUF, in writes larger than the buffer, while the parent reads:
 * every byte arrives, no writer is left waiting for room. Each writer's
 * bytes carry its number, so the reader also checks that no byte was
 * changed. */
#include "sock_common.h"

#define WRITERS 3
#define ROUNDS 300
#define SIZE 20000

int main(void) {
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		printf("socketpair: %s\n", errname(errno));
		return 1;
	}
	int small = 4608;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	pid_t kids[WRITERS];
	for (int k = 0; k < WRITERS; k++) {
		kids[k] = fork();
		if (kids[k] < 0) {
			printf("fork: %s\n", errname(errno));
			return 1;
		}
		if (kids[k] == 0) {
			close(sv[0]);
			static char buf[SIZE];
			memset(buf, 'a' + k, sizeof buf);
			for (int i = 0; i < ROUNDS; i++) {
				size_t off = 0;
				while (off < sizeof buf) {
					ssize_t n = write(sv[1], buf + off, sizeof buf - off);
					if (n <= 0)
						_exit(2);
					off += n;
				}
			}
			_exit(0);
		}
	}
	close(sv[1]);
	long counts[WRITERS] = {0};
	long other = 0;
	static char buf[65536];
	ssize_t n;
	while ((n = read(sv[0], buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++) {
			int k = buf[i] - 'a';
			if (k >= 0 && k < WRITERS)
				counts[k]++;
			else
				other++;
		}
	if (n < 0)
		printf("read: %s\n", errname(errno));
	for (int k = 0; k < WRITERS; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		printf("writer %d: %ld bytes, ", k, counts[k]);
		describe("status", st);
	}
	printf("other bytes: %ld\n", other);
	return 0;
}
