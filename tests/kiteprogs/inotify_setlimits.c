/* Run under kite only (it sets /proc/sys/fs/inotify, which on the host
 * would change the host's limits for everyone): as root it lowers each
 * limit and checks Linux's behaviour (inotify(7), Linux's
 * fs/notify/inotify): max_user_instances bounds the instances of one
 * user (the next inotify_init1 is EMFILE), max_user_watches the watches
 * of all that user's instances together (ENOSPC; changing an existing
 * watch is free), max_queued_events the queue of instances made after it
 * is set (that many events, then IN_Q_OVERFLOW with wd -1); values out of
 * 0..INT_MAX are EINVAL; another user may not write (EACCES). Each check
 * prints "ok" or what it got; the test wants no "FAIL". The limits are
 * restored at the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails;

static void expect(const char *label, long got, long want, int want_errno) {
	int e = errno;
	if (got == want && (want >= 0 || e == want_errno)) {
		printf("%s: ok\n", label);
		return;
	}
	printf("%s: FAIL: got %ld errno %d, want %ld errno %d\n", label, got, e, want, want_errno);
	fails++;
}

static int set_limit(const char *name, const char *value) {
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/fs/inotify/%s", name);
	int fd = open(path, O_WRONLY);
	if (fd < 0) return -1;
	ssize_t n = write(fd, value, strlen(value));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

static long get_limit(const char *name) {
	char path[128], buf[64] = {0};
	snprintf(path, sizeof path, "/proc/sys/fs/inotify/%s", name);
	int fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0) return -1;
	close(fd);
	return atol(buf);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("FAIL: needs root\n");
		return 1;
	}
	long old_inst = get_limit("max_user_instances");
	long old_watch = get_limit("max_user_watches");
	long old_queued = get_limit("max_queued_events");
	char saved[3][32];
	snprintf(saved[0], 32, "%ld\n", old_inst);
	snprintf(saved[1], 32, "%ld\n", old_watch);
	snprintf(saved[2], 32, "%ld\n", old_queued);

	/* Parsing. */
	errno = 0;
	expect("write -1", set_limit("max_user_watches", "-1\n"), -1, EINVAL);
	expect("write 2^31", set_limit("max_user_watches", "2147483648"), -1, EINVAL);
	expect("write junk", set_limit("max_queued_events", "many"), -1, EINVAL);
	expect("value kept", get_limit("max_user_watches"), old_watch, 0);
	errno = 0;
	expect("write with spaces", set_limit("max_user_watches", "  9000 \n"), 0, 0);
	expect("read back", get_limit("max_user_watches"), 9000, 0);

	/* Another user may not write. */
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0) _exit(2);
		errno = 0;
		int fd = open("/proc/sys/fs/inotify/max_user_instances", O_WRONLY);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	errno = 0;
	expect("a user cannot write", WIFEXITED(st) ? WEXITSTATUS(st) : 99, 0, 0);

	/* max_user_instances: 3 instances (the count is this user's). */
	expect("instances = 3", set_limit("max_user_instances", "3"), 0, 0);
	int in[4];
	for (int i = 0; i < 3; i++) in[i] = inotify_init1(0);
	errno = 0;
	expect("three instances", in[0] >= 0 && in[1] >= 0 && in[2] >= 0, 1, 0);
	errno = 0;
	expect("a fourth is EMFILE", inotify_init1(0), -1, EMFILE);
	errno = 0;
	expect("bad flags are EINVAL first", inotify_init1(0x10), -1, EINVAL);
	pid = fork();
	if (pid == 0) {
		/* Another user has instances of its own. */
		if (setgid(65534) < 0 || setuid(65534) < 0) _exit(2);
		int a = inotify_init1(0), b = inotify_init1(0), c = inotify_init1(0);
		errno = 0;
		int d = inotify_init1(0);
		_exit(a >= 0 && b >= 0 && c >= 0 && d < 0 && errno == EMFILE ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	errno = 0;
	expect("another user has three of its own", WIFEXITED(st) ? WEXITSTATUS(st) : 99, 0, 0);
	close(in[2]);
	in[2] = inotify_init1(0);
	expect("one closed, one more", in[2] >= 0, 1, 0);
	expect("instances restored", set_limit("max_user_instances", saved[0]), 0, 0);

	/* max_user_watches: 4 watches over two instances. */
	char dir[] = "/tmp/inotify_setlimXXXXXX";
	if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
	char files[6][64];
	for (int i = 0; i < 6; i++) {
		snprintf(files[i], 64, "%s/f%d", dir, i);
		close(open(files[i], O_WRONLY | O_CREAT, 0644));
	}
	expect("watches = 4", set_limit("max_user_watches", "4"), 0, 0);
	int wds[6];
	for (int i = 0; i < 3; i++) wds[i] = inotify_add_watch(in[0], files[i], IN_MODIFY);
	wds[3] = inotify_add_watch(in[1], files[3], IN_MODIFY);
	errno = 0;
	expect("four watches", wds[0] > 0 && wds[1] > 0 && wds[2] > 0 && wds[3] > 0, 1, 0);
	errno = 0;
	expect("a fifth (other instance) is ENOSPC", inotify_add_watch(in[1], files[4], IN_MODIFY), -1, ENOSPC);
	errno = 0;
	expect("a fifth (first instance) is ENOSPC", inotify_add_watch(in[0], files[5], IN_MODIFY), -1, ENOSPC);
	errno = 0;
	expect("changing a watch is free", inotify_add_watch(in[0], files[0], IN_ACCESS), wds[0], 0);
	expect("rm_watch", inotify_rm_watch(in[0], wds[1]), 0, 0);
	expect("then one more", inotify_add_watch(in[1], files[4], IN_MODIFY) > 0, 1, 0);
	errno = 0;
	expect("and no more", inotify_add_watch(in[0], files[5], IN_MODIFY), -1, ENOSPC);
	unlink(files[2]);
	expect("a deleted file's watch is given back", inotify_add_watch(in[0], files[5], IN_MODIFY) > 0, 1, 0);
	close(in[1]);
	expect("a closed instance's watches are given back", inotify_add_watch(in[2], files[3], IN_MODIFY) > 0, 1, 0);
	expect("watches restored", set_limit("max_user_watches", saved[1]), 0, 0);

	/* max_queued_events: 5 for an instance made now; older ones keep
	 * theirs. */
	expect("queued = 5", set_limit("max_queued_events", "5"), 0, 0);
	int q = inotify_init1(IN_NONBLOCK);
	int qwd = inotify_add_watch(q, files[0], IN_ACCESS | IN_MODIFY);
	int old = inotify_init1(IN_NONBLOCK);
	expect("queued restored", set_limit("max_queued_events", saved[2]), 0, 0);
	int oldq = inotify_init1(IN_NONBLOCK);
	int f = open(files[0], O_RDWR);
	inotify_add_watch(oldq, files[0], IN_ACCESS | IN_MODIFY);
	char c;
	for (int i = 0; i < 10; i++) {
		if (i % 2 == 0) {
			if (pwrite(f, "y", 1, 0) != 1) printf("pwrite failed\n");
		} else if (pread(f, &c, 1, 0) != 1) printf("pread failed\n");
	}
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n = read(q, buf, sizeof buf);
	int events = 0, last_overflow = 0, other = 0;
	for (char *p = buf; n > 0 && p < buf + n;) {
		struct inotify_event *e = (struct inotify_event *)p;
		if (e->mask == IN_Q_OVERFLOW && e->wd == -1) last_overflow = 1;
		else if (e->wd == qwd && !last_overflow) events++;
		else other++;
		p += sizeof *e + e->len;
	}
	errno = 0;
	expect("five events", events, 5, 0);
	expect("then IN_Q_OVERFLOW", last_overflow, 1, 0);
	expect("and nothing else", other, 0, 0);
	n = read(oldq, buf, sizeof buf);
	expect("an instance made after the restore keeps all ten", n, 10 * (long)sizeof(struct inotify_event), 0);
	(void)old;
	close(f);
	for (int i = 0; i < 6; i++) unlink(files[i]);
	rmdir(dir);
	printf("%d failures\n", fails);
	return fails != 0;
}
