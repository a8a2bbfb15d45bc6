/* /proc/sysvipc/{shm,msg} show the creator's and last user's pids as the
 * reader's PID namespace numbers them: a child that is init of a new PID
 * namespace sees itself as 1 and its parent as 0, the parent sees the
 * child's pid. As an unprivileged user (no new namespaces) both see the
 * same pids. */
#include "file_common.h"
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/wait.h>

struct msgbuf_ {
	long mtype;
	char mtext[8];
};

/* field returns column col (0-based) of the row of /proc/sysvipc/KIND
 * whose second column is id, or -2 if there is none. */
static long field(const char *kind, int id, int col) {
	/* The host's namespace may hold many other objects: room for all. */
	static char buf[1 << 20];
	char path[64];
	snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -3;
	int n = 0, r;
	while (n < (int)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	char *line = strchr(buf, '\n');
	while (line && *++line) {
		long v[8];
		if (sscanf(line, "%ld %ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8 &&
		    v[1] == id)
			return v[col];
		line = strchr(line, '\n');
	}
	return -2;
}

static const char *who(long pid, pid_t self, pid_t other) {
	if (pid == self)
		return "me";
	if (pid == other)
		return "the other";
	if (pid == 0)
		return "0";
	return "someone else";
}

/* show prints, as seen by this process (self) with the other process
 * numbered other, who made and last used the segment and the queue. */
static void show(const char *as, int shm, int msq, pid_t self, pid_t other) {
	printf("%s: shm cpid %s, lpid %s; msg lspid %s, lrpid %s\n", as, who(field("shm", shm, 4), self, other),
	       who(field("shm", shm, 5), self, other), who(field("msg", msq, 5), self, other),
	       who(field("msg", msq, 6), self, other));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int newns = unshare(CLONE_NEWIPC | CLONE_NEWPID) == 0;
	printf("new namespaces: %s\n", newns ? "yes" : errname(errno));
	/* The parent makes the queue and sends; the child makes and
	 * attaches the segment and receives. */
	int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (msq < 0) {
		printf("msgget: %s\n", errname(errno));
		return 1;
	}
	struct msgbuf_ m = {1, "x"};
	if (msgsnd(msq, &m, 1, 0) < 0)
		printf("msgsnd: %s\n", errname(errno));
	int p1[2], p2[2];
	if (pipe(p1) < 0 || pipe(p2) < 0)
		return 2;
	pid_t parent = getpid();
	pid_t c = fork();
	if (c < 0)
		return 2;
	if (c == 0) {
		int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		void *a = shm < 0 ? (void *)-1 : shmat(shm, NULL, 0);
		if (a == (void *)-1)
			printf("shm: %s\n", errname(errno));
		struct msgbuf_ r;
		if (msgrcv(msq, &r, sizeof r.mtext, 0, 0) < 0)
			printf("msgrcv: %s\n", errname(errno));
		printf("child is pid %s\n", getpid() == 1 ? "1" : "as its parent sees it");
		/* The parent's pid as this namespace numbers it. */
		pid_t pp = newns ? -1 : getppid();
		show("child", shm, msq, getpid(), pp);
		if (write(p1[1], &shm, sizeof shm) != sizeof shm)
			_exit(2);
		char x;
		if (read(p2[0], &x, 1) < 0)
			_exit(2);
		shmdt(a);
		_exit(0);
	}
	int shm;
	if (read(p1[0], &shm, sizeof shm) != sizeof shm)
		return 2;
	show("parent", shm, msq, parent, c);
	if (write(p2[1], "g", 1) != 1)
		return 2;
	int st;
	waitpid(c, &st, 0);
	shmctl(shm, IPC_RMID, NULL);
	msgctl(msq, IPC_RMID, NULL);
	return 0;
}
