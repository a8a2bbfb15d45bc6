package bench

import (
	"fmt"
	"testing"
)

// epollC measures epoll_wait wake-up latency between two threads: each
// round trip, the main thread writes eventfd a and waits in epoll_wait for
// eventfd b; the other thread waits in epoll_wait for a, reads it and
// writes b. It prints the nanoseconds of argv[1] round trips.
const epollC = `
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
static int a, b;
static long n;
static void *peer(void *arg) {
	(void)arg;
	int ep = epoll_create1(0);
	struct epoll_event ev = {EPOLLIN, {.fd = a}}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
	uint64_t v, one = 1;
	for (long i = 0; i < n; i++) {
		while (epoll_wait(ep, &out, 1, -1) != 1)
			;
		read(a, &v, sizeof v);
		write(b, &one, sizeof one);
	}
	return 0;
}
int main(int argc, char **argv) {
	n = atol(argv[1]);
	a = eventfd(0, 0);
	b = eventfd(0, 0);
	int ep = epoll_create1(0);
	struct epoll_event ev = {EPOLLIN, {.fd = b}}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
	pthread_t th;
	pthread_create(&th, 0, peer, 0);
	uint64_t v, one = 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		write(a, &one, sizeof one);
		while (epoll_wait(ep, &out, 1, -1) != 1)
			;
		read(b, &v, sizeof v);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, 0);
	printf("%ld\n", (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
`

// BenchmarkEpollWakeup is the latency of one epoll_wait wake-up between
// two threads through an eventfd (half a round trip).
func BenchmarkEpollWakeup(b *testing.B) {
	bin := buildProg(b, "epoll", epollC)
	compareHostKite(b, "ns/wakeup", func(b *testing.B, underKite bool) float64 {
		ns := runTimed(b, underKite, bin, fmt.Sprint(b.N))
		per := ns / float64(2*b.N)
		b.ReportMetric(per, "ns/wakeup")
		return per
	})
}
