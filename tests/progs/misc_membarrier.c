/* membarrier(2): the commands kite offers (those bits of QUERY), the
 * registration rules (PRIVATE_EXPEDITED needs REGISTER first), what
 * GET_REGISTRATIONS reports, flags and bad commands, a barrier with
 * threads running, and registrations not inherited by fork. */
#include "misc_common.h"

/* linux/membarrier.h's values (musl has no kernel headers). */
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL (1 << 0)
#define MEMBARRIER_CMD_GLOBAL_EXPEDITED (1 << 1)
#define MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED (1 << 2)
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED (1 << 3)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#include <pthread.h>
#include <stdatomic.h>

#define OFFERED (MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | \
	MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED | \
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | MEMBARRIER_CMD_GET_REGISTRATIONS)

static long mb(int cmd, unsigned flags) { return syscall(SYS_membarrier, cmd, flags, 0); }

static atomic_int stop;
static volatile long counter;

static void *spin(void *arg) {
	(void)arg;
	while (!atomic_load(&stop)) counter++;
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	long q = mb(MEMBARRIER_CMD_QUERY, 0);
	printf("query has the offered commands: %s\n", q >= 0 && (q & OFFERED) == OFFERED ? "yes" : "no");
	CHECK("query with flags", mb(MEMBARRIER_CMD_QUERY, 1));
	CHECKX("registrations", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0));
	CHECK("private expedited unregistered", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
	CHECK("global", mb(MEMBARRIER_CMD_GLOBAL, 0));
	CHECK("global expedited unregistered", mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0));
	CHECK("register private expedited", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0));
	CHECK("private expedited", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
	CHECK("private expedited with flags", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 2));
	CHECK("register global expedited", mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0));
	CHECKX("registrations", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0));
	CHECK("unknown command 3", mb(3, 0));
	CHECK("unknown command 1024", mb(1024, 0));
	CHECK("unknown command -1", mb(-1, 0));

	pthread_t th[2];
	for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, spin, NULL);
	CHECK("private expedited with threads", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
	CHECK("global with threads", mb(MEMBARRIER_CMD_GLOBAL, 0));
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);

	pid_t pid = fork();
	if (pid == 0) {
		CHECKX("child registrations", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0));
		CHECK("child private expedited", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
		_exit(0);
	}
	waitchild("child", pid);
	return 0;
}
