/* Capabilities and ids across execve: a set-user-id-root program run by
 * an unprivileged user (with and without no_new_privs), a program with
 * file capabilities (security.capability), ambient capabilities kept by
 * an unprivileged user, a root exec after a bounding-set drop, and the
 * AT_SECURE and dumpable flags of each. Run as a user, the privileged steps meet the
 * unprivileged errors. */
#include "file_common.h"
#include "cap_common.h"
#include <sys/auxv.h>
#include <sys/wait.h>
#include <sys/xattr.h>

static void report(void) {
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	printf("uid %d/%d/%d ", r, e, s);
	unsigned long long ce, cp, ci;
	caps(&ce, &cp, &ci);
	printf("eff %llx prm %llx inh %llx amb-bind %d secure %lu dumpable %d\n", ce, cp, ci,
	       prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE_, 0, 0),
	       getauxval(AT_SECURE), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
}

static char self[4096];

static void copyself(const char *to, int m) {
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0700);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
	close(in);
	close(out);
	chmod(to, m);
}

static void runas(const char *what, const char *prog, void (*setup)(void)) {
	printf("%s: ", what);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (setup) setup();
		char *argv[] = {(char *)prog, "report", NULL};
		execv(prog, argv);
		printf("execv: %s\n", errname(errno));
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
}

static void user(void) {
	setgroups(0, NULL);
	setresgid(1000, 1000, 1000);
	setresuid(1000, 1000, 1000);
}

static void user_nnp(void) {
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	user();
}

static void user_euid(void) {
	setresuid(1000, 1000, 0);
}

static void ambient(void) {
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	user();
	unsigned long long b = BIT(CAP_NET_BIND_SERVICE_);
	if (setcaps(b, b, b) < 0) printf("setcaps %s ", errname(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE_, 0, 0) < 0) printf("raise %s ", errname(errno));
}

static void dropbset(void) {
	prctl(PR_CAPBSET_DROP, CAP_NET_RAW_, 0, 0, 0);
	prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN_, 0, 0, 0);
}

static void noroot(void) {
	prctl(PR_SET_SECUREBITS, 1, 0, 0, 0);
}

/* setfcaps writes a v2 security.capability with the given permitted set
 * and effective flag. */
static void setfcaps(const char *p, unsigned long long prm, int eff) {
	uint32_t v[5] = {0x02000000 | (eff ? 1 : 0), (uint32_t)prm, 0, (uint32_t)(prm >> 32), 0};
	CHECK("setxattr security.capability", setxattr(p, "security.capability", v, sizeof v, 0));
}

static void user_fsetfcap(void) {
	user();
	uint32_t v[5] = {0x02000001, 1, 0, 0, 0};
	CHECK("user setxattr security.capability", setxattr("plain", "security.capability", v, sizeof v, 0));
}

int main(int argc, char **argv) {
	if (argc > 1 && !strcmp(argv[1], "report")) {
		report();
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("capexec");
	chmod(dir, 0755);
	copyself("suid", 04755);
	copyself("plain", 0755);
	copyself("fcap", 0755);
	copyself("fcap-noeff", 0755);
	runas("root plain", "./plain", NULL);
	runas("root bset drop", "./plain", dropbset);
	runas("root noroot", "./plain", noroot);
	runas("user plain", "./plain", user);
	runas("user suid", "./suid", user);
	runas("user suid nnp", "./suid", user_nnp);
	runas("saved-root euid user plain", "./plain", user_euid);
	runas("user ambient plain", "./plain", ambient);
	runas("user ambient suid", "./suid", ambient);
	setfcaps("fcap", BIT(CAP_NET_RAW_) | BIT(CAP_CHOWN_), 1);
	setfcaps("fcap-noeff", BIT(CAP_NET_RAW_), 0);
	runas("user fcap", "./fcap", user);
	runas("user fcap no effective", "./fcap-noeff", user);
	runas("user fcap nnp", "./fcap", user_nnp);
	runas("user ambient fcap", "./fcap", ambient);
	runas("root fcap", "./fcap", NULL);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		user_fsetfcap();
		_exit(0);
	}
	waitpid(c, NULL, 0);
	chmod("suid", 04755);
	chown("suid", 1000, 1000);
	chmod("suid", 04755);
	runas("root runs suid-1000", "./suid", NULL);
	cleanup();
	return 0;
}
