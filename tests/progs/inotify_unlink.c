/* inotify: unlinking an open, watched file (ATTRIB, DELETE, then
 * CLOSE_WRITE, DELETE_SELF and IGNORED at its last close), IN_EXCL_UNLINK,
 * a file with two links, O_TRUNC, the queue overflow, epoll readiness,
 * and a blocking read woken by another process. */
#include "inotify_common.h"
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char dir[] = "/tmp/inotify_unlXXXXXX";
	if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
	char a[256], b[256], c[256];
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	snprintf(c, sizeof c, "%s/c", dir);
	write_file(a, "a");

	int fd = inotify_init1(IN_NONBLOCK);
	int base = inotify_add_watch(fd, dir, IN_ALL_EVENTS) - 1;
	CHECK("watch a", inotify_add_watch(fd, a, IN_ALL_EVENTS) - base);
	int f = open(a, O_WRONLY);
	CHECK("unlink a while open", unlink(a));
	CHECK("write to the unlinked file", write(f, "x", 1));
	drain("unlinked, still open", fd, base);
	close(f);
	drain("last close", fd, base);

	/* IN_EXCL_UNLINK: the directory hears nothing of an unlinked child. */
	CHECK("EXCL_UNLINK", inotify_add_watch(fd, dir, IN_ALL_EVENTS | IN_EXCL_UNLINK) - base);
	write_file(b, "b");
	f = open(b, O_RDWR);
	unlink(b);
	CHECK("write", write(f, "y", 1));
	close(f);
	drain("excl_unlink", fd, base);
	CHECK("no EXCL_UNLINK", inotify_add_watch(fd, dir, IN_ALL_EVENTS) - base);

	/* Two links: the first unlink is only ATTRIB. */
	write_file(b, "b");
	link(b, c);
	CHECK("watch b", inotify_add_watch(fd, b, IN_ALL_EVENTS) - base);
	unlink(b);
	drain("one of two links", fd, base);
	unlink(c);
	drain("the last link", fd, base);

	/* O_TRUNC on an existing file. */
	write_file(a, "aaaa");
	drain("rewrite", fd, base);
	f = open(a, O_WRONLY | O_TRUNC);
	close(f);
	drain("O_TRUNC", fd, base);

	/* epoll readiness and a blocking read woken by a child. */
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
	CHECK("epoll_ctl", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK("epoll_wait empty", epoll_wait(ep, &ev, 1, 0));
	int pfd[2];
	if (pipe(pfd) < 0) return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char x;
		if (read(pfd[0], &x, 1) != 1) _exit(1);
		write_file(c, "child");
		_exit(0);
	}
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (write(pfd[1], "g", 1) != 1) return 1;
	char buf[256] __attribute__((aligned(8)));
	/* Room for exactly one event named "c": later ones stay queued. */
	ssize_t n = read(fd, buf, 32);
	struct inotify_event *e = (struct inotify_event *)buf;
	printf("blocking read: %s first ", n > 0 ? "ok" : "failed");
	print_mask(e->mask);
	printf(" name=%s\n", e->name);
	waitpid(pid, NULL, 0);
	fcntl(fd, F_SETFL, fl);
	CHECK("epoll_wait ready", epoll_wait(ep, &ev, 1, 0));
	printf("epoll data %u events %x\n", ev.data.u32, ev.events);
	drain("the rest of the child's events", fd, base);

	/* Overflow: more events than max_queued_events. */
	int maxq = 0;
	FILE *mf = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	if (mf) { if (fscanf(mf, "%d", &maxq) != 1) maxq = 0; fclose(mf); }
	if (maxq <= 0 || maxq > 20000) maxq = 16384;
	int g = open(c, O_RDWR);
	for (int i = 0; i < maxq + 10; i++) {
		/* Alternating events are not merged. */
		if (i % 2) { if (write(g, "z", 1) < 0) break; }
		else if (pread(g, buf, 1, 0) < 0) break;
	}
	close(g);
	int avail = 0, count = 0, overflow = 0, last = 0;
	ioctl(fd, FIONREAD, &avail);
	printf("overflow: FIONREAD > 16 * max: %d\n", avail > 16 * maxq);
	for (;;) {
		char big[65536] __attribute__((aligned(8)));
		ssize_t m = read(fd, big, sizeof big);
		if (m <= 0) break;
		for (char *p = big; p < big + m;) {
			struct inotify_event *x = (struct inotify_event *)p;
			count++;
			if (x->mask & IN_Q_OVERFLOW) { overflow++; last = count; printf("overflow event wd=%d len=%u\n", x->wd, x->len); }
			p += sizeof *x + x->len;
		}
	}
	printf("events %d (max+1: %d) overflow %d last %d\n", count, count == maxq + 1, overflow, last == count);

	unlink(a);
	unlink(c);
	rmdir(dir);
	drain("cleanup", fd, base);
	return 0;
}
