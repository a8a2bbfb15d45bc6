/* proc_fs_thread: /proc/thread-self, renaming threads through
 * /proc/self/task/TID/comm (pthread_setname_np), and shared anonymous
 * memory in /proc/self/maps. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static char buf[1 << 16];

static long readall(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0, r;
	while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

static int pipefd[2];
static int worker_tid;

static void *worker(void *arg) {
	(void)arg;
	worker_tid = (int)syscall(SYS_gettid);
	char link[64], want[64];
	ssize_t n = readlink("/proc/thread-self", link, sizeof link - 1);
	link[n < 0 ? 0 : n] = 0;
	snprintf(want, sizeof want, "%d/task/%d", (int)getpid(), worker_tid);
	printf("worker thread-self ok: %d\n", strcmp(link, want) == 0);
	fflush(stdout);
	write(pipefd[1], "r", 1);
	char c;
	read(pipefd[0], &c, 1);
	return NULL;
}

int main(void) {
	char link[64], want[64], path[64];
	ssize_t n = readlink("/proc/thread-self", link, sizeof link - 1);
	link[n < 0 ? 0 : n] = 0;
	snprintf(want, sizeof want, "%d/task/%d", (int)getpid(), (int)getpid());
	printf("main thread-self ok: %d\n", strcmp(link, want) == 0);

	int p2[2];
	pipe(pipefd);
	pipe(p2);
	int ready[2];
	pipe(ready);
	int saved = pipefd[1];
	pipefd[1] = ready[1];
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	char c;
	read(ready[0], &c, 1);
	pipefd[1] = saved;

	/* Rename the other thread (glibc writes its comm file). */
	int rc = pthread_setname_np(th, "renamed-worker");
	printf("setname rc: %d\n", rc);
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", worker_tid);
	readall(path);
	printf("worker comm: %s", buf);
	readall("/proc/self/comm");
	printf("main comm unchanged: %d\n", strncmp(buf, "renamed", 7) != 0);

	/* Write the main thread's comm directly, newline included. */
	int fd = open("/proc/self/comm", O_WRONLY);
	printf("open comm for write: %d\n", fd >= 0);
	write(fd, "main-name\n", 10);
	close(fd);
	readall("/proc/self/comm");
	printf("main comm bytes: %zu last two newlines: %d\n", strlen(buf),
	       strlen(buf) >= 2 && buf[strlen(buf) - 1] == '\n' && buf[strlen(buf) - 2] == '\n');

	write(pipefd[1], "x", 1);
	pthread_join(th, NULL);

	/* Shared anonymous memory is "/dev/zero (deleted)". */
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	m[0] = 1;
	readall("/proc/self/maps");
	char start[32];
	snprintf(start, sizeof start, "%lx-", (unsigned long)m);
	char *line = strstr(buf, start);
	int ok = 0;
	if (line) {
		char *end = strchr(line, '\n');
		*end = 0;
		ok = strstr(line, " rw-s ") != NULL && strstr(line, "/dev/zero (deleted)") != NULL;
	}
	printf("shared anon in maps: %d\n", ok);
	return 0;
}
