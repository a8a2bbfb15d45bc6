/* epoll between threads: a thread blocked in epoll_wait is woken by an
 * eventfd write from another thread, 2000 times back and forth (the Go
 * runtime's netpoller wake-up), and a thread blocked in a read of an
 * eventfd is woken by another thread's write. */
#include "epoll_common.h"
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

enum { rounds = 2000 };

static int ping, pong, ep;
static int ok_rounds;

static void *responder(void *arg) {
	(void)arg;
	struct epoll_event ev;
	for (int i = 0; i < rounds; i++) {
		int n = epoll_wait(ep, &ev, 1, 10000);
		if (n != 1) {
			printf("responder: epoll_wait %d %s\n", n, errname(errno));
			return NULL;
		}
		uint64_t v;
		if (read(ping, &v, 8) != 8 || v != (uint64_t)i + 1) {
			printf("responder: bad ping\n");
			return NULL;
		}
		v = 1;
		write(pong, &v, 8);
		ok_rounds++;
	}
	return NULL;
}

static int blocked;
static void *reader(void *arg) {
	(void)arg;
	uint64_t v = 0;
	if (read(blocked, &v, 8) == 8) printf("blocked reader got %llu\n", (unsigned long long)v);
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	ping = eventfd(0, EFD_NONBLOCK);
	pong = eventfd(0, 0);
	ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = ping};
	epoll_ctl(ep, EPOLL_CTL_ADD, ping, &ev);
	pthread_t th;
	pthread_create(&th, NULL, responder, NULL);
	for (int i = 0; i < rounds; i++) {
		uint64_t v = (uint64_t)i + 1;
		write(ping, &v, 8);
		if (read(pong, &v, 8) != 8) {
			printf("pong read failed: %s\n", errname(errno));
			break;
		}
	}
	pthread_join(th, NULL);
	printf("round trips: %d\n", ok_rounds);

	blocked = eventfd(0, 0);
	pthread_create(&th, NULL, reader, NULL);
	struct timespec ts = {0, 20000000};
	nanosleep(&ts, NULL);
	uint64_t v = 77;
	write(blocked, &v, 8);
	pthread_join(th, NULL);
	return 0;
}
