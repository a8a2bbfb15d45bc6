/* The key retention service through the raw system calls: add_key of
 * "user", "logon" and "keyring" keys (updates of an existing key, bad
 * types and payloads), keyctl's describe, read, update, link, unlink,
 * search, setperm, revoke, invalidate, timeouts and the special keyring
 * ids, request_key, thread and process keyrings across fork, threads
 * and exec, and another user's view. */
#include "misc_common.h"
#include <pthread.h>

#define KEY_SPEC_THREAD_KEYRING -1
#define KEY_SPEC_PROCESS_KEYRING -2
#define KEY_SPEC_SESSION_KEYRING -3
#define KEY_SPEC_USER_KEYRING -4
#define KEY_SPEC_USER_SESSION_KEYRING -5
#define KEY_SPEC_GROUP_KEYRING -6

#define KEYCTL_GET_KEYRING_ID 0
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_UPDATE 2
#define KEYCTL_REVOKE 3
#define KEYCTL_SETPERM 5
#define KEYCTL_DESCRIBE 6
#define KEYCTL_CLEAR 7
#define KEYCTL_LINK 8
#define KEYCTL_UNLINK 9
#define KEYCTL_SEARCH 10
#define KEYCTL_READ 11
#define KEYCTL_SET_TIMEOUT 15
#define KEYCTL_GET_SECURITY 17
#define KEYCTL_INVALIDATE 21

static long add(const char *type, const char *desc, const void *p, size_t n, long ring) {
	return syscall(SYS_add_key, type, desc, p, n, ring);
}
static long kc(long cmd, long a, long b, long c, long d) { return syscall(SYS_keyctl, cmd, a, b, c, d); }

/* describe prints a key's description without its owner's ids and
 * serial (masked: random). */
static void describe(const char *label, long id) {
	char buf[256];
	errno = 0;
	long n = kc(KEYCTL_DESCRIBE, id, (long)buf, sizeof buf, 0);
	if (n < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
	printf("%s: %ld %s\n", label, n, buf);
}

static void readkey(const char *label, long id) {
	char buf[64] = {0};
	errno = 0;
	long n = kc(KEYCTL_READ, id, (long)buf, sizeof buf - 1, 0);
	if (n < 0) printf("%s: -1 %s\n", label, errname(errno));
	else printf("%s: %ld\n", label, n);
}

static long same(long a, long b) { return a == b; }

static volatile long thread_result;
static void *thread_fn(void *arg) {
	(void)arg;
	errno = 0;
	long r = kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0, 0, 0);
	thread_result = r < 0 ? -errno : 1;
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	long ses = kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	CHECKOK("join anonymous session", ses);
	describe("session", ses);
	CHECK("session id matches", same(kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0), ses));
	CHECK("thread keyring, no create", kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0, 0, 0));
	long tk = kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 1, 0, 0);
	CHECKOK("thread keyring, create", tk);
	describe("thread keyring", tk);
	long pk = kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1, 0, 0);
	describe("process keyring", pk);
	CHECK("group keyring", kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_GROUP_KEYRING, 1, 0, 0));
	CHECK("id 0", kc(KEYCTL_GET_KEYRING_ID, 0, 0, 0, 0));
	CHECK("no such serial", kc(KEYCTL_GET_KEYRING_ID, 12, 0, 0, 0));

	long k = add("user", "alpha", "one", 3, KEY_SPEC_SESSION_KEYRING);
	CHECKOK("add user key", k);
	describe("user key", k);
	readkey("read", k);
	char buf[16] = {0};
	CHECK("read 2 bytes", kc(KEYCTL_READ, k, (long)buf, 2, 0));
	printf("partial read: %s\n", buf);
	CHECK("read size only", kc(KEYCTL_READ, k, 0, 0, 0));
	CHECK("add same again updates", same(add("user", "alpha", "three", 5, KEY_SPEC_SESSION_KEYRING), k));
	readkey("read after update", k);
	CHECK("update", kc(KEYCTL_UPDATE, k, (long)"four!", 5, 0));
	readkey("read after keyctl update", k);
	CHECK("update empty", kc(KEYCTL_UPDATE, k, 0, 0, 0));
	CHECK("add no payload", add("user", "beta", NULL, 0, KEY_SPEC_SESSION_KEYRING));
	CHECK("add empty description", add("user", "", "x", 1, KEY_SPEC_SESSION_KEYRING));
	CHECK("add no description", add("user", NULL, "x", 1, KEY_SPEC_SESSION_KEYRING));
	CHECK("add unknown type", add("nosuchtype", "x", "x", 1, KEY_SPEC_SESSION_KEYRING));
	CHECK("add dot type", add(".user", "x", "x", 1, KEY_SPEC_SESSION_KEYRING));
	CHECK("add keyring with payload", add("keyring", "r", "x", 1, KEY_SPEC_SESSION_KEYRING));
	CHECK("add dot keyring", add("keyring", ".r", NULL, 0, KEY_SPEC_SESSION_KEYRING));
	CHECK("add huge payload", add("user", "big", "x", 1 << 20, KEY_SPEC_SESSION_KEYRING));
	static char big[40000];
	CHECK("add payload over 32767", add("user", "big", big, sizeof big, KEY_SPEC_SESSION_KEYRING));
	CHECK("add to a user key", add("user", "x", "x", 1, k));
	CHECK("add bad payload pointer", add("user", "x", bad, 4, KEY_SPEC_SESSION_KEYRING));
	CHECK("logon without a colon", add("logon", "nocolon", "x", 1, KEY_SPEC_SESSION_KEYRING));
	long lk = add("logon", "svc:name", "pw", 2, KEY_SPEC_SESSION_KEYRING);
	describe("logon key", lk);
	readkey("read logon", lk);

	long ring = add("keyring", "sub", NULL, 0, KEY_SPEC_SESSION_KEYRING);
	describe("keyring", ring);
	long k2 = add("user", "gamma", "two", 3, ring);
	CHECK("search finds nested", same(kc(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"user", (long)"gamma", 0), k2));
	CHECK("search missing", kc(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"user", (long)"nope", 0));
	CHECK("search in a user key", kc(KEYCTL_SEARCH, k, (long)"user", (long)"gamma", 0));
	CHECK("request_key", same(syscall(SYS_request_key, "user", "gamma", NULL, 0), k2));
	CHECK("request_key missing", syscall(SYS_request_key, "user", "nope", NULL, 0));
	/* With callout information Linux runs the host's /sbin/request-key,
	 * which negates the key in the caller's session keyring (ENOKEY). A
	 * user other than root, started by root, shares root's session
	 * keyring: the upcall cannot write there and the answer depends on
	 * request-key.conf and on negative keys cached in the user's keyrings
	 * from earlier runs. kite runs no upcall (ENOKEY). */
	if (geteuid() == 0)
		CHECK("request_key missing with callout", syscall(SYS_request_key, "user", "nope", "info", 0));
	CHECK("request_key empty description", syscall(SYS_request_key, "user", "", NULL, 0));
	readkey("read keyring (odd length)", ring);
	CHECK("read keyring", kc(KEYCTL_READ, ring, (long)buf, 8, 0));
	CHECK("link into thread keyring", kc(KEYCTL_LINK, k2, KEY_SPEC_THREAD_KEYRING, 0, 0));
	CHECK("link a keyring into itself", kc(KEYCTL_LINK, ring, ring, 0, 0));
	CHECK("link session into sub (cycle)", kc(KEYCTL_LINK, ses, ring, 0, 0));
	CHECK("unlink", kc(KEYCTL_UNLINK, k2, ring, 0, 0));
	CHECK("unlink again", kc(KEYCTL_UNLINK, k2, ring, 0, 0));
	readkey("read keyring after unlink", ring);
	CHECK("still in the thread keyring", same(kc(KEYCTL_SEARCH, KEY_SPEC_THREAD_KEYRING, (long)"user", (long)"gamma", 0), k2));
	CHECK("clear", kc(KEYCTL_CLEAR, KEY_SPEC_THREAD_KEYRING, 0, 0, 0));
	CHECK("clear a user key", kc(KEYCTL_CLEAR, k, 0, 0, 0));
	CHECK("get_security", kc(KEYCTL_GET_SECURITY, k, (long)buf, sizeof buf, 0));
	CHECK("unknown command", kc(999, 0, 0, 0, 0));

	CHECK("setperm bad bits", kc(KEYCTL_SETPERM, k, 0x40000000, 0, 0));
	CHECK("setperm possessor view only", kc(KEYCTL_SETPERM, k, 0x01000000, 0, 0));
	readkey("read without read permission", k);
	describe("describe with view", k);
	CHECK("setperm without setattr", kc(KEYCTL_SETPERM, k, 0x3f000000, 0, 0));

	long k3 = add("user", "delta", "d", 1, KEY_SPEC_SESSION_KEYRING);
	CHECK("revoke", kc(KEYCTL_REVOKE, k3, 0, 0, 0));
	readkey("read revoked", k3);
	describe("describe revoked", k3);
	CHECK("search revoked", kc(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"user", (long)"delta", 0));
	long k4 = add("user", "eps", "e", 1, KEY_SPEC_SESSION_KEYRING);
	CHECK("invalidate", kc(KEYCTL_INVALIDATE, k4, 0, 0, 0));
	long k5 = add("user", "zeta", "z", 1, KEY_SPEC_SESSION_KEYRING);
	CHECK("set timeout", kc(KEYCTL_SET_TIMEOUT, k5, 1000, 0, 0));
	readkey("read with timeout", k5);

	/* Threads have no thread keyring of their own until they make one;
	 * the process keyring is shared. */
	pthread_t th;
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_join(th, NULL);
	printf("thread's thread keyring without create: %s\n", thread_result == 1 ? "exists" : errname(-thread_result));

	pid_t pid = fork();
	if (pid == 0) {
		CHECK("child: same session", same(kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0), ses));
		CHECK("child: thread keyring", kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0, 0, 0));
		CHECK("child: process keyring", kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0));
		readkey("child: read k5", k5);
		_exit(0);
	}
	waitchild("child", pid);

	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534)) _exit(2);
		readkey("other user: read k5", k5);
		describe("other user: describe k5", k5);
		CHECKOK("other user: add to our session", add("user", "x", "x", 1, ses));
		_exit(0);
	}
	waitchild("other user", pid);
	return 0;
}
