/* IPC namespaces: objects made in one are invisible in a new one, which
 * starts with its own limits in /proc/sys/kernel (changed there without
 * touching the parent's); /proc/sysvipc lists each namespace's objects.
 * Run as a user, the program makes the IPC namespace inside a user
 * namespace where it is root. */
#include "file_common.h"
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>

static void cat(const char *path) {
	char buf[4096];
	int fd = open(path, O_RDONLY);
	int n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		printf("%s: %s\n", path, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("%s:\n%s", path, buf);
	close(fd);
}

static void put(const char *path, const char *text) {
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0) {
		printf("open %s: %s\n", path, errname(errno));
		return;
	}
	CHECK(path, write(fd, text, strlen(text)));
	close(fd);
}

/* lines counts the lines of path that mention key. The whole file is
 * read: the host's namespace may hold many other objects (one read of a
 * seq_file gives about a page of them). */
static int lines(const char *path, int key) {
	static char buf[1 << 20];
	char k[32];
	size_t len = 0;
	int fd = open(path, O_RDONLY);
	if (fd >= 0) {
		ssize_t n;
		while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += n;
		close(fd);
	}
	buf[len] = 0;
	snprintf(k, sizeof k, " %d ", key);
	int c = 0;
	for (char *p = buf; (p = strstr(p, k)) != NULL; p++) c++;
	return c;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int key = 0x1c000000 + (getpid() & 0xffff);
	int shm = shmget(key, 4096, IPC_CREAT | 0600);
	int sem = semget(key, 2, IPC_CREAT | 0600);
	int msg = msgget(key, IPC_CREAT | 0600);
	printf("made: %d %d %d\n", shm >= 0, sem >= 0, msg >= 0);
	printf("listed: shm %d sem %d msg %d\n", lines("/proc/sysvipc/shm", key), lines("/proc/sysvipc/sem", key),
	       lines("/proc/sysvipc/msg", key));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int ipc = open("/proc/self/ns/ipc", O_RDONLY);
		if (geteuid() != 0) {
			/* A user makes its IPC namespace inside a user
			 * namespace of its own, where it is root. */
			char m[64];
			CHECK("unshare(CLONE_NEWIPC) unprivileged", unshare(CLONE_NEWIPC));
			snprintf(m, sizeof m, "0 %d 1\n", (int)geteuid());
			CHECK("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
			put("/proc/self/setgroups", "deny\n");
			put("/proc/self/uid_map", m);
			snprintf(m, sizeof m, "0 %d 1\n", (int)getegid());
			put("/proc/self/gid_map", m);
		}
		CHECK("unshare(CLONE_NEWIPC)", unshare(CLONE_NEWIPC));
		CHECK("shmget in new ns", shmget(key, 4096, 0600));
		CHECK("semget in new ns", semget(key, 2, 0600));
		CHECK("msgget in new ns", msgget(key, 0600));
		CHECK("shmctl old id", shmctl(shm, IPC_STAT, &(struct shmid_ds){0}));
		cat("/proc/sysvipc/shm");
		cat("/proc/sysvipc/sem");
		cat("/proc/sysvipc/msg");
		cat("/proc/sys/kernel/msgmni");
		cat("/proc/sys/kernel/sem");
		put("/proc/sys/kernel/msgmni", "3\n");
		put("/proc/sys/kernel/sem", "5 100 4 7\n");
		put("/proc/sys/kernel/shmmni", "2\n");
		put("/proc/sys/kernel/msgmax", "100\n");
		cat("/proc/sys/kernel/msgmni");
		cat("/proc/sys/kernel/sem");
		for (int i = 0; i < 4; i++) CHECKOK("msgget private", msgget(IPC_PRIVATE, 0600));
		CHECK("semget 6 sems past semmsl", semget(IPC_PRIVATE, 6, 0600));
		int s = semget(IPC_PRIVATE, 5, 0600);
		struct sembuf ops[5] = {{0, 1, 0}, {1, 1, 0}, {2, 1, 0}, {3, 1, 0}, {4, 1, 0}};
		CHECK("semop 5 ops past semopm", semop(s, ops, 5));
		CHECK("semop 4 ops", semop(s, ops, 4));
		for (int i = 0; i < 3; i++) CHECKOK("shmget private", shmget(IPC_PRIVATE, 4096, 0600));
		char big[200] = {0};
		CHECK("msgsnd past msgmax", msgsnd(msgget(IPC_PRIVATE, 0600), big, 150, 0));
		CHECK("setns back", setns(ipc, CLONE_NEWIPC));
		printf("old objects back: %d\n", shmget(key, 4096, 0600) == shm);
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("parent msgmni unchanged: ");
	fflush(stdout);
	char buf[32] = {0};
	int fd = open("/proc/sys/kernel/msgmni", O_RDONLY);
	read(fd, buf, sizeof buf - 1);
	close(fd);
	printf("%d\n", atoi(buf) != 3);
	shmctl(shm, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	msgctl(msg, IPC_RMID, NULL);
	printf("listed after removal: shm %d sem %d msg %d\n", lines("/proc/sysvipc/shm", key), lines("/proc/sysvipc/sem", key),
	       lines("/proc/sysvipc/msg", key));
	return 0;
}
