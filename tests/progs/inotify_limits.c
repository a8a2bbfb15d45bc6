/* inotify's limits in /proc/sys/fs/inotify, without changing them (the
 * host's are the host's): the three files read as one decimal number,
 * 0644 and owned by root, refused to a user for writing (EACCES); and
 * max_queued_events enforced as it stands: that many events queue, then
 * one IN_Q_OVERFLOW (wd -1), after which events queue again once read.
 * Setting low limits and their enforcement per user (EMFILE, ENOSPC) is
 * tested inside kite only (tests/kiteprogs/inotify_setlimits.c). */
#include "inotify_common.h"
#include <sys/wait.h>

static const char *names[] = {"max_queued_events", "max_user_instances", "max_user_watches"};

static long read_limit(const char *name) {
	char path[128], buf[64];
	snprintf(path, sizeof path, "/proc/sys/fs/inotify/%s", name);
	int fd = open(path, O_RDONLY);
	if (fd < 0) { printf("open %s: %s\n", name, errname(errno)); return -1; }
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) { printf("read %s: %zd\n", name, n); return -1; }
	buf[n] = 0;
	char *end;
	long v = strtol(buf, &end, 10);
	printf("%s: a number: %d, then a newline only: %d, positive: %d\n", name,
	       end != buf, strcmp(end, "\n") == 0, v > 0);
	return v;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	long queued = -1;
	for (int i = 0; i < 3; i++) {
		long v = read_limit(names[i]);
		if (i == 0) queued = v;
		char path[128];
		snprintf(path, sizeof path, "/proc/sys/fs/inotify/%s", names[i]);
		struct stat st;
		if (stat(path, &st) == 0)
			printf("  mode %o uid %d gid %d\n", st.st_mode & 07777, (int)st.st_uid, (int)st.st_gid);
	}
	if (geteuid() == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0) { printf("setuid: %s\n", errname(errno)); _exit(1); }
			errno = 0;
			int fd = open("/proc/sys/fs/inotify/max_user_watches", O_WRONLY);
			printf("open for writing as a user: %s\n", fd < 0 ? (errno == EACCES ? "EACCES" : errname(errno)) : "ok");
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	if (queued <= 0 || queued > 1000000) {
		printf("max_queued_events out of the tested range\n");
		return 0;
	}

	/* Alternate IN_MODIFY and IN_ACCESS so that no two events in a row
	 * are equal (equal ones merge). */
	char dir[] = "/tmp/inotify_limXXXXXX";
	if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
	char file[64];
	snprintf(file, sizeof file, "%s/f", dir);
	write_file(file, "x");
	int in = inotify_init1(IN_NONBLOCK);
	int wd = inotify_add_watch(in, file, IN_ACCESS | IN_MODIFY);
	int f = open(file, O_RDWR);
	char c;
	for (long i = 0; i < queued + 10; i++) {
		if (i % 2 == 0) {
			if (pwrite(f, "y", 1, 0) != 1) printf("pwrite: %s\n", errname(errno));
		} else if (pread(f, &c, 1, 0) != 1) printf("pread: %s\n", errname(errno));
	}
	long events = 0, overflows = 0, after = 0, bad = 0;
	char buf[65536] __attribute__((aligned(8)));
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0) break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (e->mask == IN_Q_OVERFLOW && e->wd == -1) overflows++;
			else if (e->wd != wd) bad++;
			else if (overflows) after++;
			else events++;
			p += sizeof *e + e->len;
		}
	}
	printf("events before the overflow equal max_queued_events: %d\n", events == queued);
	printf("overflow events: %ld, events after it: %ld, strangers: %ld\n", overflows, after, bad);
	if (pwrite(f, "z", 1, 0) != 1) printf("pwrite: %s\n", errname(errno));
	drain("an event after draining", in, wd - 1);
	close(f);
	close(in);
	unlink(file);
	rmdir(dir);
	return 0;
}
