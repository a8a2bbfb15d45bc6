/* Mappings of a file whose pages are all in memory (a tmpfs file written
 * with write(2)): a fault maps many cached pages at once (kite maps up
 * to 4 MiB of a file's resident pages per fault). Pages far from the
 * first fault must still be coherent with read/write both ways, private
 * mappings must keep their own copies, protection changes, partial
 * unmaps, holes and truncation must hold for pages mapped that way. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mm_common.h"

static long P;

/* pagechar is what page i of the file holds at first. */
static char pagechar(long i) { return 'a' + i % 26; }

/* check reports whether every page in [from, to) of m reads as the file
 * wrote it. */
static int check(const char *m, long from, long to) {
	for (long i = from; i < to; i++)
		if (m[i * P] != pagechar(i) || m[i * P + P - 1] != pagechar(i))
			return 0;
	return 1;
}

int main(void) {
	P = sysconf(_SC_PAGESIZE);
	struct sigaction sa = {0};
	sa.sa_handler = onsig;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	char path[128];
	snprintf(path, sizeof path, "/tmp/mmap_around_%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	const long N = 1300; /* pages, plus a partial one */
	char *buf = malloc(P);
	for (long i = 0; i < N; i++) {
		memset(buf, pagechar(i), P);
		if (write(fd, buf, P) != P) {
			perror("write");
			return 1;
		}
	}
	memset(buf, '+', 100);
	write(fd, buf, 100);
	long size = N * P + 100;

	/* Shared mapping of the whole file. */
	char *s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED) {
		perror("mmap shared");
		return 1;
	}
	printf("first fault: %c\n", s[3 * P]);
	printf("all pages as written: %d\n", check(s, 0, N));
	printf("partial page: %c, past its end reads %d\n", s[N * P + 99], s[N * P + 100]);
	/* write(2) after the mapping faulted: the mapping sees it. */
	pwrite(fd, "after-fault", 11, 200 * P + 7);
	printf("map sees pwrite far away: %.11s\n", s + 200 * P + 7);
	/* a store through the mapping far from the faults: read sees it. */
	memcpy(s + 250 * P + 1, "via-map", 7);
	char rb[16] = {0};
	pread(fd, rb, 7, 250 * P + 1);
	printf("pread sees map store: %s\n", rb);

	/* A private mapping from page 5 on: its own copy once written, the
	 * file's pages where it has not written. */
	char *q = mmap(NULL, 300 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 5 * P);
	if (q == MAP_FAILED) {
		perror("mmap private");
		return 1;
	}
	printf("private first fault: %c (file page 5)\n", q[0]);
	printf("private pages as written: %d\n", check(q - 5 * P, 5, 195));
	memcpy(q + 100 * P, "private", 7);
	pread(fd, rb, 7, 105 * P);
	printf("file after private store: %.7s\n", rb);
	printf("shared map after private store: %.7s\n", s + 105 * P);
	pwrite(fd, "file-new", 8, 105 * P);
	pwrite(fd, "file-new", 8, 120 * P);
	printf("private copy after file write: %.7s\n", q + 100 * P);
	printf("private clean page after file write: %.8s\n", q + 115 * P);

	/* Another process stores through the shared mapping; the parent
	 * sees it in its mapping and through read. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(s + 280 * P + 3, "from-child", 10);
		q[130 * P] = '!'; /* the child's private copy only */
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("parent map sees child store: %.10s\n", s + 280 * P + 3);
	pread(fd, rb, 10, 280 * P + 3);
	printf("parent pread sees child store: %.10s\n", rb);
	printf("parent private page after child's private store: %c\n", q[130 * P]);

	/* Protection: a read-only middle part stays read-only even though
	 * faults around it map its neighbours. */
	char *t = mmap(NULL, 400 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mprotect(t + 100 * P, 100 * P, PROT_READ);
	printf("fault below read-only part: %s\n", probe(t + 99 * P, 1));
	printf("fault above read-only part: %s\n", probe(t + 200 * P, 1));
	printf("read in read-only part: %s (%c)\n", probe(t + 150 * P, 0), t[150 * P]);
	printf("write in read-only part: %s\n", probe(t + 150 * P, 1));
	printf("write in read-only part's last page: %s\n", probe(t + 199 * P + 5, 1));
	/* A hole punched in the middle of the mapping. */
	munmap(t + 300 * P, 10 * P);
	printf("unmapped middle: %s\n", probe(t + 305 * P, 0));
	printf("above unmapped middle: %s (%c)\n", probe(t + 310 * P, 0), t[310 * P]);
	munmap(t, 400 * P);

	/* Holes: pages past the written part have no data yet. */
	ftruncate(fd, (N + 300) * P);
	char *h = mmap(NULL, (N + 300) * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("page before the holes: %c\n", h[(N - 1) * P]);
	int zero = 1;
	for (long i = N + 1; i < N + 300; i++)
		zero &= h[i * P] == 0;
	printf("holes read as zeros: %d\n", zero);
	h[(N + 150) * P] = 'H';
	pread(fd, rb, 1, (N + 150) * P);
	printf("pread sees store in a hole: %c\n", rb[0]);
	munmap(h, (N + 300) * P);

	/* Truncation removes the pages from every mapping. */
	ftruncate(fd, 10 * P);
	printf("shared below new end: %s\n", probe(s + 9 * P, 0));
	printf("shared far past new end: %s\n", probe(s + 250 * P, 0));
	printf("shared just past new end: %s\n", probe(s + 10 * P, 1));
	ftruncate(fd, 400 * P);
	printf("shared after growing again: %s (%d)\n", probe(s + 250 * P, 0), s[250 * P]);
	munmap(s, size);
	munmap(q, 300 * P);
	close(fd);
	unlink(path);
	return 0;
}
