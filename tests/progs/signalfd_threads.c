/* signalfd and threads: a read takes the reading thread's own pending
 * signals and the process's, never another thread's; a thread blocked in
 * a read is woken by a signal sent to the process. */
#include "epoll_common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>

static int sfd;
static pid_t worker_tid;
static pthread_barrier_t bar;

static void show(const char *who, long n, struct signalfd_siginfo *si) {
	if (n < 0) printf("%s: -1 %s\n", who, errname(errno));
	else printf("%s: %ld bytes, signo %u code %d\n", who, n, si->ssi_signo, si->ssi_code);
}

static void *worker(void *arg) {
	(void)arg;
	worker_tid = syscall(SYS_gettid);
	pthread_barrier_wait(&bar); /* main sends SIGUSR1 to this thread */
	pthread_barrier_wait(&bar); /* main has tried to read it */
	struct signalfd_siginfo si;
	errno = 0;
	long n = read(sfd, &si, sizeof si);
	show("worker reads its own signal", n, &si);
	pthread_barrier_wait(&bar);
	/* Now block in a read until main sends SIGUSR2 to the process. */
	int fd = signalfd(-1, &(sigset_t){0}, 0);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	signalfd(fd, &m, 0);
	pthread_barrier_wait(&bar);
	errno = 0;
	n = read(fd, &si, sizeof si);
	show("worker woken by a process signal", n, &si);
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	sfd = signalfd(-1, &m, SFD_NONBLOCK);
	pthread_barrier_init(&bar, NULL, 2);
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	pthread_barrier_wait(&bar);
	syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1);
	struct signalfd_siginfo si;
	errno = 0;
	long n = read(sfd, &si, sizeof si);
	show("main reads the worker's signal", n, &si);
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	struct timespec ts = {0, 30000000};
	nanosleep(&ts, NULL);
	kill(getpid(), SIGUSR2);
	pthread_join(th, NULL);
	errno = 0;
	n = read(sfd, &si, sizeof si);
	show("nothing left", n, &si);
	return 0;
}
