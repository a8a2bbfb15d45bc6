/* capget/capset with each header version and their errors, prctl's
 * capability options (bounding set, ambient set, keepcaps, securebits)
 * and the capability changes of setuid and setfsuid. Each scenario runs in
 * a child so that the parent keeps its capabilities. Run as a user, the privileged steps meet the
 * unprivileged errors. */
#include "file_common.h"
#include "cap_common.h"
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static void run(const char *name, void (*fn)(void)) {
	printf("-- %s\n", name);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("child status %x\n", st);
}

static void headers(void) {
	struct cap_header h = {0x12345678, 0};
	struct cap_data d[2];
	CHECK("capget bad version", capget_(&h, d));
	printf("version written back %x\n", h.version);
	h.version = 0x12345678;
	CHECK("capget bad version NULL data", capget_(&h, NULL));
	printf("version written back %x\n", h.version);
	h.version = CAP_V3;
	CHECK("capget v3 NULL data", capget_(&h, NULL));
	CHECK("capget NULL header", capget_(NULL, d));
	CHECK("capget bad data", capget_(&h, bad));
	h.pid = -1;
	CHECK("capget pid -1", capget_(&h, d));
	h.pid = 999999;
	CHECK("capget pid missing", capget_(&h, d));
	h.pid = getpid();
	CHECK("capget own pid", capget_(&h, d));
	h.pid = getppid();
	CHECK("capget parent", capget_(&h, d));
	h.pid = 0;
	memset(d, 0xff, sizeof d);
	h.version = CAP_V1;
	CHECK("capget v1", capget_(&h, d));
	printf("v1 eff %x second word untouched %d\n", d[0].effective, d[1].effective == 0xffffffffu);
	h.version = CAP_V2;
	CHECK("capget v2", capget_(&h, d));
	printf("v2 eff %x %x\n", d[0].effective, d[1].effective);
	h.version = 0x1;
	CHECK("capset bad version", capset_(&h, d));
	h.version = CAP_V3;
	h.pid = getppid();
	CHECK("capset other pid", capset_(&h, d));
	h.pid = 0;
	CHECK("capset bad data", capset_(&h, bad));
}

static void sets(void) {
	unsigned long long e, p, i;
	caps(&e, &p, &i);
	showcaps("start");
	CHECK("drop NET_RAW from effective", setcaps(e & ~BIT(CAP_NET_RAW_), p, i));
	showcaps("after");
	CHECK("raise it back", setcaps(e, p, i));
	CHECK("effective beyond permitted", setcaps(e, p & ~BIT(CAP_CHOWN_), i));
	CHECK("drop CHOWN from permitted", setcaps(e & ~BIT(CAP_CHOWN_), p & ~BIT(CAP_CHOWN_), i));
	CHECK("regain CHOWN", setcaps(e, p, i));
	showcaps("after regain");
	CHECK("inheritable CHOWN with SETPCAP", setcaps(e & ~BIT(CAP_CHOWN_), p & ~BIT(CAP_CHOWN_), BIT(CAP_CHOWN_)));
	CHECK("drop SETPCAP", setcaps(0, BIT(CAP_KILL_), BIT(CAP_CHOWN_)));
	CHECK("inheritable beyond permitted", setcaps(0, BIT(CAP_KILL_), BIT(CAP_CHOWN_) | BIT(CAP_SYS_ADMIN_)));
	CHECK("v1 capset", ({
		struct cap_header h = {CAP_V1, 0};
		struct cap_data d = {0, BIT(CAP_KILL_), 0};
		capset_(&h, &d);
	}));
	showcaps("end");
}

static void bounding(void) {
	CHECK("CAPBSET_READ CHOWN", prctl(PR_CAPBSET_READ, CAP_CHOWN_, 0, 0, 0));
	CHECK("CAPBSET_READ last", prctl(PR_CAPBSET_READ, CAP_LAST_CAP_, 0, 0, 0));
	CHECK("CAPBSET_READ past last", prctl(PR_CAPBSET_READ, CAP_LAST_CAP_ + 1, 0, 0, 0));
	CHECK("CAPBSET_READ -1", prctl(PR_CAPBSET_READ, -1, 0, 0, 0));
	CHECK("CAPBSET_DROP MKNOD", prctl(PR_CAPBSET_DROP, CAP_MKNOD_, 0, 0, 0));
	CHECK("CAPBSET_READ MKNOD", prctl(PR_CAPBSET_READ, CAP_MKNOD_, 0, 0, 0));
	CHECK("CAPBSET_DROP bad", prctl(PR_CAPBSET_DROP, 99, 0, 0, 0));
	unsigned long long e, p, i;
	caps(&e, &p, &i);
	CHECK("inheritable MKNOD outside bounding", setcaps(e, p, i | BIT(CAP_MKNOD_)));
	CHECK("drop SETPCAP", setcaps(e & ~BIT(CAP_SETPCAP_), p, i));
	CHECK("CAPBSET_DROP without SETPCAP", prctl(PR_CAPBSET_DROP, CAP_CHOWN_, 0, 0, 0));
}

static void ambient(void) {
	CHECK("IS_SET", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE_, 0, 0));
	CHECK("RAISE not inheritable", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE_, 0, 0));
	unsigned long long e, p, i;
	caps(&e, &p, &i);
	CHECK("add inheritable", setcaps(e, p, BIT(CAP_NET_BIND_SERVICE_) | BIT(CAP_CHOWN_)));
	CHECK("RAISE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE_, 0, 0));
	CHECK("RAISE CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN_, 0, 0));
	CHECK("IS_SET", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE_, 0, 0));
	CHECK("IS_SET bad cap", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 77, 0, 0));
	CHECK("IS_SET extra arg", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN_, 1, 0));
	CHECK("bad op", prctl(PR_CAP_AMBIENT, 9, CAP_CHOWN_, 0, 0));
	CHECK("drop CHOWN from inheritable", setcaps(e, p, BIT(CAP_NET_BIND_SERVICE_)));
	CHECK("IS_SET CHOWN after", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN_, 0, 0));
	CHECK("LOWER", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_BIND_SERVICE_, 0, 0));
	CHECK("IS_SET", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE_, 0, 0));
	CHECK("RAISE again", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE_, 0, 0));
	CHECK("CLEAR_ALL extra", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
	CHECK("CLEAR_ALL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	CHECK("IS_SET", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE_, 0, 0));
	CHECK("NO_CAP_AMBIENT_RAISE", prctl(PR_SET_SECUREBITS, 1 << 6, 0, 0, 0));
	CHECK("RAISE forbidden", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE_, 0, 0));
}

static void securebits(void) {
	CHECK("GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	CHECK("SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
	CHECK("SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK("GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	CHECK("GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	CHECK("SET_SECUREBITS unknown", prctl(PR_SET_SECUREBITS, 1 << 12, 0, 0, 0));
	CHECK("SET_SECUREBITS keep+lock", prctl(PR_SET_SECUREBITS, 0x30, 0, 0, 0));
	CHECK("SET_KEEPCAPS 0 locked", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
	CHECK("unlock", prctl(PR_SET_SECUREBITS, 0x10, 0, 0, 0));
	CHECK("add NOROOT", prctl(PR_SET_SECUREBITS, 0x31, 0, 0, 0));
	CHECK("GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	unsigned long long e, p, i;
	caps(&e, &p, &i);
	CHECK("drop SETPCAP", setcaps(e & ~BIT(CAP_SETPCAP_), p, i));
	CHECK("SET_SECUREBITS without SETPCAP", prctl(PR_SET_SECUREBITS, 0x31, 0, 0, 0));
}

static void setuid_drop(void) {
	CHECK("setuid(1000)", setuid(1000));
	showcaps("after setuid");
	CHECK("setuid(0)", setuid(0));
	CHECK("capset raise", setcaps(BIT(CAP_CHOWN_), BIT(CAP_CHOWN_), 0));
}

static void keepcaps(void) {
	CHECK("SET_KEEPCAPS", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK("setresuid(1000,1000,1000)", setresuid(1000, 1000, 1000));
	showcaps("kept");
	unsigned long long e, p, i;
	caps(&e, &p, &i);
	CHECK("raise effective", setcaps(p, p, i));
	CHECK("GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	CHECK("setuid(0) with CAP_SETUID_", setuid(0));
	showcaps("root again");
}

static void euid_toggle(void) {
	CHECK("seteuid(1000)", seteuid(1000));
	showcaps("euid 1000");
	CHECK("seteuid(0)", seteuid(0));
	showcaps("euid 0");
	printf("setfsuid(1000) old %d\n", setfsuid(1000));
	showcaps("fsuid 1000");
	printf("setfsuid(0) old %d\n", setfsuid(0));
	showcaps("fsuid 0");
	CHECK("SECBIT_NO_SETUID_FIXUP", prctl(PR_SET_SECUREBITS, 1 << 2, 0, 0, 0));
	CHECK("seteuid(1000)", seteuid(1000));
	showcaps("no fixup");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run("headers", headers);
	run("sets", sets);
	run("bounding", bounding);
	run("ambient", ambient);
	run("securebits", securebits);
	run("setuid", setuid_drop);
	run("keepcaps", keepcaps);
	run("euid", euid_toggle);
	return 0;
}
