/* System V message queues: msgget's rules, msgsnd/msgrcv by type (0,
 * positive, negative, MSG_EXCEPT), MSG_NOERROR and E2BIG, MSG_COPY,
 * IPC_NOWAIT on a full or empty queue, a blocked receiver woken by a
 * sender in another process, msgctl IPC_STAT/IPC_SET/IPC_INFO and
 * IPC_RMID. */
#include "file_common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct msg { long type; char text[64]; };

static int snd(int id, long type, const char *text, int flag) {
	struct msg m = {type, ""};
	strcpy(m.text, text);
	return msgsnd(id, &m, strlen(text) + 1, flag);
}

static void rcv(int id, long type, int size, int flag, const char *what) {
	struct msg m = {0, ""};
	errno = 0;
	long n = msgrcv(id, &m, size, type, flag);
	if (n < 0) printf("%s: -1 %s\n", what, errname(errno));
	else printf("%s: %ld type %ld '%.*s'\n", what, n, m.type, (int)n, m.text);
}

static void stat_(int id, const char *what) {
	struct msqid_ds ds;
	if (msgctl(id, IPC_STAT, &ds) < 0) {
		printf("%s: %s\n", what, errname(errno));
		return;
	}
	printf("%s: qnum %lu cbytes %lu qbytes %lu mode %o lspid-self %d\n", what, (unsigned long)ds.msg_qnum,
	       (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_perm.mode, ds.msg_lspid == getpid());
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	key_t key = 0x3e900000 + (getpid() & 0xffff);
	CHECK("msgget missing", msgget(key, 0600));
	int id = msgget(key, IPC_CREAT | 0600);
	CHECKOK("msgget create", id);
	CHECK("msgget excl", msgget(key, IPC_CREAT | IPC_EXCL | 0600));
	printf("same id: %d\n", msgget(key, 0) == id);

	CHECK("send type 0", snd(id, 0, "x", 0));
	CHECK("send bad buffer", msgsnd(id, bad, 4, 0));
	CHECK("send too big", msgsnd(id, &(struct msg){1, ""}, 100000, 0));
	CHECK("send a", snd(id, 5, "five", 0));
	CHECK("send b", snd(id, 2, "two", 0));
	CHECK("send c", snd(id, 9, "nine", 0));
	CHECK("send d", snd(id, 2, "two again", 0));
	stat_(id, "four queued");
	rcv(id, 0, 64, MSG_COPY | IPC_NOWAIT, "copy index 0");
	rcv(id, 3, 64, MSG_COPY | IPC_NOWAIT, "copy index 3");
	rcv(id, 7, 64, MSG_COPY | IPC_NOWAIT, "copy index 7");
	rcv(id, 0, 64, MSG_COPY, "copy without nowait");
	rcv(id, 2, 64, 0, "type 2");
	rcv(id, 2, 64, MSG_EXCEPT, "not type 2");
	rcv(id, -9, 64, 0, "lowest <= 9");
	rcv(id, 9, 3, 0, "too small");
	rcv(id, 9, 3, MSG_NOERROR, "truncated");
	rcv(id, 0, 64, IPC_NOWAIT, "empty nowait");
	rcv(id, 4, 64, IPC_NOWAIT, "no type 4");
	rcv(id, 0, -1, 0, "negative size");
	stat_(id, "empty");

	struct msqid_ds ds;
	msgctl(id, IPC_STAT, &ds);
	ds.msg_qbytes = 16;
	ds.msg_perm.mode = 0620;
	CHECK("IPC_SET qbytes 16", msgctl(id, IPC_SET, &ds));
	stat_(id, "after IPC_SET");
	CHECK("send 10 bytes", snd(id, 1, "123456789", 0));
	CHECK("send past qbytes nowait", snd(id, 1, "123456789", IPC_NOWAIT));
	rcv(id, 0, 64, 0, "drain");
	ds.msg_qbytes = 16384;
	msgctl(id, IPC_SET, &ds);

	/* A receiver blocked until another process sends. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		rcv(id, 7, 64, 0, "child got");
		fflush(stdout);
		_exit(0);
	}
	/* Type 3 first: the child keeps waiting for type 7. */
	snd(id, 3, "three", 0);
	snd(id, 7, "seven", 0);
	waitpid(c, NULL, 0);
	rcv(id, 0, 64, IPC_NOWAIT, "left for parent");

	struct msginfo mi;
	CHECKOK("IPC_INFO", msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	printf("msgmax %d msgmnb %d msgssz %d msgseg %d\n", mi.msgmax, mi.msgmnb, mi.msgssz, mi.msgseg);
	CHECK("bad cmd", msgctl(id, 99, &ds));

	/* Another user's view, when there is privilege to become one. */
	if (geteuid() == 0) {
		fflush(stdout);
		c = fork();
		if (c == 0) {
			setgid(2000);
			setuid(2000);
			CHECK("other user send", snd(id, 1, "x", 0));
			CHECK("other user RMID", msgctl(id, IPC_RMID, NULL));
			ds.msg_qbytes = 1 << 20;
			fflush(stdout);
			_exit(0);
		}
		waitpid(c, NULL, 0);
	}

	snd(id, 1, "queued", 0);
	CHECK("IPC_RMID", msgctl(id, IPC_RMID, NULL));
	rcv(id, 0, 64, IPC_NOWAIT, "receive after RMID");
	CHECK("send after RMID", snd(id, 1, "x", 0));
	return 0;
}
