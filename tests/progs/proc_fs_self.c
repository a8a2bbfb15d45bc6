/* proc_fs_self: /proc/self/{cmdline,environ,comm,stat,status,maps,task},
 * /proc/mounts and the system-wide files, as far as they are the same on
 * the host and under kite. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static char buf[1 << 20];

/* readall reads path into buf, NUL-terminated; returns the length or -1. */
static long readall(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0;
	for (;;) {
		/* Small reads: the text must hold together across them. */
		ssize_t r = read(fd, buf + n, 100);
		if (r <= 0)
			break;
		n += r;
		if (n > (long)sizeof buf - 200)
			break;
	}
	close(fd);
	buf[n] = 0;
	return n;
}

/* strings joins a NULL-terminated array with NULs after each, into out. */
static long strings(char **v, char *out) {
	long n = 0;
	for (; *v; v++) {
		size_t l = strlen(*v) + 1;
		memcpy(out + n, *v, l);
		n += l;
	}
	return n;
}

/* field returns the value after "name:\t" in buf (up to the newline). */
static const char *field(const char *name, char *out, size_t size) {
	char key[64];
	snprintf(key, sizeof key, "\n%s:\t", name);
	const char *p = strstr(buf, key);
	if (p) {
		p += strlen(key);
	} else if (strncmp(buf, key + 1, strlen(key + 1)) == 0) {
		p = buf + strlen(key + 1);
	} else {
		return "(none)";
	}
	size_t i = 0;
	while (p[i] && p[i] != '\n' && i + 1 < size) {
		out[i] = p[i];
		i++;
	}
	out[i] = 0;
	return out;
}

static int pipefd[2];

static void *worker(void *arg) {
	(void)arg;
	char c;
	read(pipefd[0], &c, 1);
	return NULL;
}

static void on_int(int sig) { (void)sig; }

static int count_dir(const char *path) {
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int main(int argc, char **argv) {
	(void)argc;
	static char want[1 << 16];
	char v[256], path[128];
	long n;

	n = readall("/proc/self/cmdline");
	long wn = strings(argv, want);
	printf("cmdline matches argv: %d\n", n == wn && memcmp(buf, want, n) == 0);
	n = readall("/proc/self/environ");
	wn = strings(environ, want);
	printf("environ matches: %d\n", n == wn && memcmp(buf, want, n) == 0);

	readall("/proc/self/comm");
	printf("comm: %s", buf);
	char comm[32];
	snprintf(comm, sizeof comm, "%.*s", (int)strcspn(buf, "\n"), buf);

	/* stat: pid (comm) state ppid ... 52 fields. */
	readall("/proc/self/stat");
	char scomm[64], state;
	int pid, ppid;
	sscanf(buf, "%d (%63[^)]) %c %d", &pid, scomm, &state, &ppid);
	int fields = 0;
	for (char *p = strrchr(buf, ')') + 1; *p; p++)
		if (*p == ' ')
			fields++;
	printf("stat: pid ok %d comm ok %d state %c ppid ok %d fields %d\n", pid == getpid(),
	       strcmp(scomm, comm) == 0, state, ppid == getppid(), fields + 2);

	/* status, with a blocked, an ignored and a caught signal. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGINT, on_int);
	readall("/proc/self/status");
	printf("Name %s\n", field("Name", v, sizeof v));
	printf("State %s\n", field("State", v, sizeof v));
	printf("Pid ok %d\n", atoi(field("Pid", v, sizeof v)) == getpid());
	printf("Tgid ok %d\n", atoi(field("Tgid", v, sizeof v)) == getpid());
	printf("PPid ok %d\n", atoi(field("PPid", v, sizeof v)) == getppid());
	char ids[64];
	snprintf(ids, sizeof ids, "%d\t%d\t%d\t%d", getuid(), geteuid(), geteuid(), geteuid());
	printf("Uid ok %d\n", strcmp(field("Uid", v, sizeof v), ids) == 0);
	printf("Threads %s\n", field("Threads", v, sizeof v));
	printf("SigBlk %s\n", field("SigBlk", v, sizeof v));
	printf("SigIgn %s\n", field("SigIgn", v, sizeof v));
	printf("SigCgt %s\n", field("SigCgt", v, sizeof v));
	printf("VmRSS present %d\n", strstr(buf, "\nVmRSS:\t") != NULL);

	/* maps: the stack and the executable. */
	readall("/proc/self/maps");
	char exe[PATH_MAX];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[el < 0 ? 0 : el] = 0;
	int stack = 0, image = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		size_t l = strlen(line);
		if (l > 7 && strcmp(line + l - 7, "[stack]") == 0 && strstr(line, " rw-p "))
			stack = 1;
		if (l > strlen(exe) && strcmp(line + l - strlen(exe), exe) == 0 && line[l - strlen(exe) - 1] == ' ')
			image = 1;
	}
	printf("maps: [stack] %d executable %d\n", stack, image);

	/* task/ with a second thread. */
	pipe(pipefd);
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	usleep(10000);
	printf("task entries: %d\n", count_dir("/proc/self/task"));
	readall("/proc/self/status");
	printf("Threads with worker %s\n", field("Threads", v, sizeof v));
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", getpid());
	readall(path);
	printf("task comm: %s", buf);
	write(pipefd[1], "x", 1);
	pthread_join(th, NULL);

	/* System-wide files. */
	readall("/proc/mounts");
	printf("mounts has proc: %d\n", strstr(buf, " /proc proc ") != NULL);
	readall("/proc/self/mountinfo");
	printf("mountinfo has proc: %d\n", strstr(buf, " /proc ") != NULL && strstr(buf, " - proc ") != NULL);
	readall("/proc/meminfo");
	printf("meminfo starts MemTotal: %d\n", strncmp(buf, "MemTotal:", 9) == 0);
	double up = -1, idle = -1;
	readall("/proc/uptime");
	int nf = sscanf(buf, "%lf %lf", &up, &idle);
	printf("uptime fields: %d up>0 %d\n", nf, up > 0);
	readall("/proc/loadavg");
	double l1, l5, l15;
	int run, total, last;
	printf("loadavg fields: %d\n", sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &total, &last));
	readall("/proc/sys/kernel/ostype");
	printf("ostype: %s", buf);
	readall("/proc/version");
	printf("version starts Linux version: %d\n", strncmp(buf, "Linux version ", 14) == 0);
	readall("/proc/cpuinfo");
	printf("cpuinfo has processor: %d\n", strncmp(buf, "processor\t: 0\n", 14) == 0);
	return 0;
}
