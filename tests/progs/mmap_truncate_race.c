/* One thread truncates a tmpfs file up and down while another opens it,
 * maps it shared, closes it and unmaps it, so that the munmap drops the
 * file's last reference while the truncate removes pages from the
 * address space (each once took the other's lock first in kite: a
 * deadlock). Both finish their rounds and the file is whole at the end. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROUNDS 3000
static const char *path;

static void *truncater(void *arg) {
	(void)arg;
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		perror("open");
		exit(1);
	}
	for (int i = 0; i < ROUNDS; i++)
		if (ftruncate(fd, (i & 1) ? 0 : 65536) != 0) {
			perror("ftruncate");
			exit(1);
		}
	close(fd);
	return NULL;
}

int main(void) {
	char dir[] = "/dev/shm/mtrXXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char buf[64];
	snprintf(buf, sizeof buf, "%s/f", dir);
	path = buf;
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 65536) != 0) {
		perror("create");
		return 1;
	}
	close(fd);
	pthread_t t;
	pthread_create(&t, NULL, truncater, NULL);
	long maps = 0;
	for (int i = 0; i < ROUNDS; i++) {
		int f = open(path, O_RDWR);
		if (f < 0) {
			perror("open");
			return 1;
		}
		char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		close(f);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		maps++;
		munmap(p, 65536);
	}
	pthread_join(t, NULL);
	fd = open(path, O_RDWR);
	off_t end = lseek(fd, 0, SEEK_END);
	close(fd);
	unlink(path);
	rmdir(dir);
	printf("mapped %ld times; final size %ld\n", maps, (long)end);
	return 0;
}
