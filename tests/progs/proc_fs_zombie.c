/* proc_fs_zombie: a child that has exited but is not reaped shows in
 * /proc as a zombie (state Z, no memory); once reaped it is gone. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[8192];

static long readall(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	long n = 0, r;
	while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

int main(void) {
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	printf("child exited with %d\n", si.si_status);

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	readall(path);
	int p2, ppid;
	char comm[64], state;
	sscanf(buf, "%d (%63[^)]) %c %d", &p2, comm, &state, &ppid);
	printf("stat: pid ok %d state %c ppid ok %d\n", p2 == pid, state, ppid == getpid());
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	readall(path);
	char *s = strstr(buf, "State:\t");
	printf("status %.*s no VmRSS %d\n", s ? (int)strcspn(s, "\n") : 0, s ? s : "", strstr(buf, "VmRSS") == NULL);
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	printf("cmdline bytes: %ld\n", readall(path));
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	char target[256];
	errno = 0;
	ssize_t ln = readlink(path, target, sizeof target);
	printf("exe readlink: %zd %s\n", ln, errno == ENOENT ? "ENOENT" : errno ? "other error" : "OK");

	int st;
	waitpid(pid, &st, 0);
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	long r = readall(path);
	printf("after reaping: %s\n", r == -ENOENT ? "ENOENT" : "still there");
	return 0;
}
