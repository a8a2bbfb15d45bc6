/* Time a process spends asleep is not CPU time: after about 1.5 s in
 * blocking calls (nanosleep, a read on a pipe its child writes after a
 * sleep, waitpid for that child, a thread's timed futex-based join), its
 * user plus system time from getrusage, times and
 * CLOCK_PROCESS_CPUTIME_ID stays far below it, and so does the thread's
 * own CLOCK_THREAD_CPUTIME_ID. Only that relation is printed: the
 * numbers differ between kernels. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap(long ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0) {
	}
}

static void *sleeper(void *arg) {
	(void)arg;
	nap(300);
	return NULL;
}

static long long ns(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	nap(400);
	int p[2];
	if (pipe(p) < 0) return 1;
	pid_t pid = fork();
	if (pid == 0) {
		nap(400);
		if (write(p[1], "x", 1) != 1) _exit(2);
		nap(400);
		_exit(0);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1) return 1;
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 1;
	pthread_t th;
	pthread_create(&th, NULL, sleeper, NULL);
	pthread_join(th, NULL);

	/* About 1.5 s asleep; 500 ms of CPU is far more than either kernel
	 * uses for these few calls, even on a loaded machine. */
	const long long limit = 500000000LL;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long long r = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
		      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
	printf("getrusage user+system under 500 ms: %s\n", r < limit ? "yes" : "no");
	struct tms tm;
	times(&tm);
	long hz = sysconf(_SC_CLK_TCK);
	long long t = (long long)(tm.tms_utime + tm.tms_stime) * 1000000000LL / hz;
	printf("times user+system under 500 ms: %s\n", t < limit ? "yes" : "no");
	printf("CLOCK_PROCESS_CPUTIME_ID under 500 ms: %s\n", ns(CLOCK_PROCESS_CPUTIME_ID) < limit ? "yes" : "no");
	printf("CLOCK_THREAD_CPUTIME_ID under 500 ms: %s\n", ns(CLOCK_THREAD_CPUTIME_ID) < limit ? "yes" : "no");
	getrusage(RUSAGE_CHILDREN, &ru);
	r = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
	printf("the child's user+system under 500 ms: %s\n", r < limit ? "yes" : "no");
	return 0;
}
