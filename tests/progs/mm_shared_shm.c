/* POSIX shared memory (shm_open under /dev/shm) and named semaphores
 * (sem_open: a mapped file in /dev/shm) shared by two processes that map
 * the object separately. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	char name[64], sname[64];
	snprintf(name, sizeof name, "/kite_shm_%d", getpid());
	snprintf(sname, sizeof sname, "/kite_sem_%d", getpid());
	long P = sysconf(_SC_PAGESIZE);

	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		perror("shm_open");
		return 1;
	}
	printf("ftruncate %d\n", ftruncate(fd, 2 * P));
	int *counter = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	sem_t *ready = sem_open(sname, O_CREAT | O_EXCL, 0600, 0);
	sem_t *done = sem_open(sname, 0); /* the same semaphore again */
	printf("sem_open %d %d\n", ready != SEM_FAILED, done != SEM_FAILED);
	fflush(stdout);

	pid_t pid = fork();
	if (pid == 0) {
		/* the child maps the object on its own */
		int cfd = shm_open(name, O_RDWR, 0);
		int *c = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		sem_t *s = sem_open(sname, 0);
		if (cfd < 0 || c == MAP_FAILED || s == SEM_FAILED)
			_exit(2);
		for (int i = 0; i < 1000; i++)
			__atomic_fetch_add(&c[0], 1, __ATOMIC_SEQ_CST);
		strcpy((char *)c + P, "written by the child");
		sem_post(s);
		_exit(0);
	}
	for (int i = 0; i < 1000; i++)
		__atomic_fetch_add(&counter[0], 1, __ATOMIC_SEQ_CST);
	sem_wait(ready);
	int st;
	waitpid(pid, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	printf("counter %d\n", counter[0]);
	printf("page 2: %s\n", (char *)counter + P);
	char buf[32] = {0};
	pread(fd, buf, 20, P);
	printf("read: %s\n", buf);
	struct stat sb;
	fstat(fd, &sb);
	printf("size %ld\n", (long)sb.st_size);

	printf("shm_unlink %d\n", shm_unlink(name));
	errno = 0;
	int again = shm_open(name, O_RDWR, 0);
	printf("reopen after unlink: %d %s\n", again, strerror(errno));
	printf("mapping survives unlink: %d\n", counter[0]);
	printf("sem_unlink %d\n", sem_unlink(sname));
	return 0;
}
