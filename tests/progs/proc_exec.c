/* execve: a static program, #! scripts, error cases, close-on-exec, and
 * argument passing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ENOEXEC: return "ENOEXEC";
	case EFAULT: return "EFAULT";
	case ENOTDIR: return "ENOTDIR";
	case ELOOP: return "ELOOP";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

static void run(const char *what, char *const argv[]) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		execve(argv[0], argv, (char *[]){"KITE_TEST=1", NULL});
		printf("%s: execve failed: %s\n", what, en(errno));
		fflush(stdout);
		_exit(127);
	}
	int st;
	waitpid(c, &st, 0);
	printf("%s: status %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fflush(stdout);
}

static void writefile(const char *path, const char *text, int mode) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	write(fd, text, strlen(text));
	close(fd);
	chmod(path, mode);
}

int main(int argc, char **argv) {
	/* Every run with an argument is a child: never fork again from one. */
	if (argc > 1) {
		printf("child argv:");
		for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
		printf("\nchild env KITE_TEST=%s\n", getenv("KITE_TEST") ? getenv("KITE_TEST") : "(unset)");
		printf("fd 5 open after exec: %d\n", fcntl(5, F_GETFD) >= 0);
		printf("fd 6 open after exec: %d\n", fcntl(6, F_GETFD) >= 0);
		return 4;
	}
	char self[256];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n] = 0;
	int fd = open("/dev/null", O_RDONLY);
	dup2(fd, 5);
	dup3(fd, 6, O_CLOEXEC);
	run("self", (char *[]){self, "child", "a b", "", NULL});

	/* vfork + execve: the parent resumes once the child has exec'd */
	fflush(stdout);
	pid_t vc = vfork();
	if (vc == 0) {
		execve(self, (char *[]){self, "child", "vforked", NULL}, (char *[]){"KITE_TEST=2", NULL});
		_exit(127);
	}
	int vst;
	waitpid(vc, &vst, 0);
	printf("vfork+exec: status %d\n", WEXITSTATUS(vst));

	char dir[300];
	const char *base = strrchr(self, '/');
	snprintf(dir, sizeof dir, "/tmp/kite-exec-%s", base ? base + 1 : self);
	mkdir(dir, 0700);
	char script[300], script2[300], noexec[300], nested[300];
	snprintf(script, sizeof script, "%s/script", dir);
	char text[600];
	snprintf(text, sizeof text, "#!%s child   one arg  \necho not reached\n", self);
	writefile(script, text, 0755);
	run("script", (char *[]){script, "x", NULL});
	snprintf(script2, sizeof script2, "%s/script2", dir);
	writefile(script2, "#!/bin/busybox sh\necho from busybox sh: $0 $1\nexit 6\n", 0755);
	run("busybox script", (char *[]){script2, "arg1", NULL});
	snprintf(nested, sizeof nested, "%s/nested", dir);
	snprintf(text, sizeof text, "#!%s\n", script);
	writefile(nested, text, 0755);
	run("nested script", (char *[]){nested, NULL});
	snprintf(noexec, sizeof noexec, "%s/noexec", dir);
	writefile(noexec, "#!/bin/busybox sh\nexit 0\n", 0644);
	if (geteuid() != 0)
		run("not executable", (char *[]){noexec, NULL});
	char garbage[300];
	snprintf(garbage, sizeof garbage, "%s/garbage", dir);
	writefile(garbage, "\x7f" "ELF garbage", 0755);
	run("garbage ELF", (char *[]){garbage, NULL});
	char empty[300];
	snprintf(empty, sizeof empty, "%s/empty", dir);
	writefile(empty, "#!\n", 0755);
	run("empty interpreter", (char *[]){empty, NULL});
	run("missing", (char *[]){"/nonexistent/program", NULL});
	run("directory", (char *[]){"/tmp", NULL});
	run("through a file", (char *[]){"/etc/os-release/x", NULL});
	errno = 0;
	int r = execve((char *)8, (char *[]){NULL}, NULL);
	printf("execve bad path ptr: %d %s\n", r, en(errno));
	errno = 0;
	r = execve(self, (char **)8, NULL);
	printf("execve bad argv ptr: %d %s\n", r, en(errno));

	unlink(script); unlink(script2); unlink(nested); unlink(noexec); unlink(garbage); unlink(empty);
	rmdir(dir);
	return 0;
}
