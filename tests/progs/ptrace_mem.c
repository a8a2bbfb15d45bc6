/* Another process's memory: process_vm_readv/process_vm_writev and
 * /proc/PID/mem (read, write into read-only text, lseek, EIO), their
 * access rule (same uids and dumpable, or CAP_SYS_PTRACE), and
 * /proc/PID/status's TracerPid and the 't' state of a ptrace stop. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char secret[64] = "the child's secret";
static const char rodata[] = "read-only data";

static void result(const char *what, long r) {
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

/* A child that waits for a byte on fd, then exits with what secret's
 * first byte has become. */
static pid_t waiter(int *wfd) {
	int p[2];
	if (pipe(p) < 0) { perror("pipe"); exit(1); }
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(p[1]);
		if (read(p[0], &b, 1) != 1) _exit(99);
		_exit(secret[0]);
	}
	close(p[0]);
	*wfd = p[1];
	return c;
}

static void finish(pid_t c, int wfd) {
	int st;
	if (write(wfd, "x", 1) != 1) perror("write");
	close(wfd);
	waitpid(c, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
}

static void vm(void) {
	int wfd;
	pid_t c = waiter(&wfd);
	char a[8] = {0}, b[16] = {0};
	struct iovec local[2] = {{a, 4}, {b, 10}};
	struct iovec remote[1] = {{secret, 14}};
	result("readv", process_vm_readv(c, local, 2, remote, 1, 0));
	printf("got '%.4s' '%.10s'\n", a, b);
	result("readv flags", process_vm_readv(c, local, 2, remote, 1, 1));
	result("readv missing pid", process_vm_readv(999999, local, 2, remote, 1, 0));
	struct iovec bad[1] = {{(void *)8, 4}};
	result("readv unmapped remote", process_vm_readv(c, local, 2, bad, 1, 0));
	result("readv unmapped local", process_vm_readv(c, bad, 1, remote, 1, 0));
	struct iovec two[2] = {{secret, 4}, {(void *)8, 4}};
	result("readv partial", process_vm_readv(c, local, 2, two, 2, 0));
	/* Not FOLL_FORCE: read-only memory stays read-only. */
	struct iovec ro[1] = {{(void *)rodata, 4}};
	result("writev rodata", process_vm_writev(c, local, 1, ro, 1, 0));
	char z[1] = {'Z'};
	struct iovec src[1] = {{z, 1}};
	struct iovec dst[1] = {{secret, 1}};
	result("writev", process_vm_writev(c, src, 1, dst, 1, 0));
	finish(c, wfd);
}

static void procmem(void) {
	int wfd;
	pid_t c = waiter(&wfd);
	char path[64], buf[32];
	snprintf(path, sizeof path, "/proc/%d/mem", c);
	int fd = open(path, O_RDWR);
	result("open mem", fd < 0 ? -1 : 0);
	memset(buf, 0, sizeof buf);
	result("pread", pread(fd, buf, 9, (off_t)(unsigned long)secret));
	printf("read '%s'\n", buf);
	result("pread unmapped", pread(fd, buf, 4, 8));
	result("lseek", lseek(fd, (off_t)(unsigned long)rodata, SEEK_SET) == (off_t)(unsigned long)rodata);
	result("read at offset", read(fd, buf, 4));
	printf("read '%.4s'\n", buf);
	result("lseek end", lseek(fd, 0, SEEK_END));
	/* /proc/PID/mem writes like a debugger: read-only data too. */
	result("pwrite rodata", pwrite(fd, "RE", 2, (off_t)(unsigned long)rodata));
	result("pwrite", pwrite(fd, "Q", 1, (off_t)(unsigned long)secret));
	close(fd);
	finish(c, wfd);
	/* After the process is gone. */
	fd = open(path, O_RDONLY);
	result("open mem of reaped", fd < 0 ? -1 : 0);
}

static void self_mem(void) {
	int fd = open("/proc/self/mem", O_RDONLY);
	char buf[16] = {0};
	result("self pread", pread(fd, buf, 8, (off_t)(unsigned long)secret));
	printf("self '%s'\n", buf);
	close(fd);
}

static void tracer_pid(void) {
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", c);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		int pid;
		if (sscanf(line, "TracerPid: %d", &pid) == 1)
			printf("TracerPid is me %d\n", pid == getpid());
		if (strncmp(line, "State:", 6) == 0)
			printf("%s", line);
	}
	if (f) fclose(f);
	ptrace(PTRACE_DETACH, c, 0, 0);
	snprintf(path, sizeof path, "/proc/%d/status", c);
	waitpid(c, &st, 0);
	printf("detached child exit %d\n", WEXITSTATUS(st));
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "TracerPid:", 10) == 0)
			printf("%s", line);
	if (f) fclose(f);
}

/* Access from an unprivileged process: its own uid's dumpable process
 * yes, a non-dumpable one or root's no. */
static void access_rules(void) {
	int p[2], q[2];
	if (pipe(p) < 0 || pipe(q) < 0) { perror("pipe"); exit(1); }
	pid_t target = fork();
	if (target == 0) {
		char b;
		close(p[1]);
		close(q[0]);
		if (setresuid(1000, 1000, 1000) < 0) _exit(98);
		while (read(p[0], &b, 1) == 1 && b != 'e') {
			prctl(PR_SET_DUMPABLE, b == 'd' ? 1 : 0);
			if (write(q[1], "k", 1) != 1) _exit(97);
		}
		_exit(0);
	}
	close(p[0]);
	close(q[1]);
	for (int round = 0; round < 2; round++) {
		char b;
		if (write(p[1], round == 0 ? "d" : "n", 1) != 1 || read(q[0], &b, 1) != 1) {
			perror("handshake");
			exit(1);
		}
		pid_t prober = fork();
		if (prober == 0) {
			if (setresuid(1000, 1000, 1000) < 0) _exit(98);
			char buf[4];
			struct iovec l = {buf, 4}, r = {secret, 4};
			printf("round %d: ", round);
			result("readv as uid 1000", process_vm_readv(target, &l, 1, &r, 1, 0));
			result("attach as uid 1000", ptrace(PTRACE_ATTACH, target, 0, 0));
			if (round == 0) {
				int st;
				waitpid(target, &st, 0);
				printf("attached stop sig %d\n", WSTOPSIG(st));
				result("detach", ptrace(PTRACE_DETACH, target, 0, 0));
			}
			result("readv of root", process_vm_readv(getppid(), &l, 1, &r, 1, 0));
			char path[64];
			snprintf(path, sizeof path, "/proc/%d/mem", target);
			int fd = open(path, O_RDONLY);
			result("open mem as uid 1000", fd < 0 ? -1 : 0);
			_exit(0);
		}
		int st;
		waitpid(prober, &st, 0);
	}
	if (write(p[1], "e", 1) != 1) perror("write");
	int st;
	waitpid(target, &st, 0);
	printf("target exit %d\n", WEXITSTATUS(st));
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	vm();
	procmem();
	self_mem();
	tracer_pid();
	access_rules();
	return 0;
}
