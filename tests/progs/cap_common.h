/* capget/capset without linux/capability.h (musl has none): the header,
 * data and constants of the Linux ABI, and helpers to read and set the
 * three sets of the calling thread. */
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct cap_header { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };

#define CAP_V1 0x19980330
#define CAP_V2 0x20071026
#define CAP_V3 0x20080522

enum {
	CAP_CHOWN_ = 0, CAP_DAC_OVERRIDE_ = 1, CAP_DAC_READ_SEARCH_ = 2, CAP_FOWNER_ = 3,
	CAP_FSETID_ = 4, CAP_KILL_ = 5, CAP_SETGID_ = 6, CAP_SETUID_ = 7, CAP_SETPCAP_ = 8,
	CAP_NET_BIND_SERVICE_ = 10, CAP_NET_RAW_ = 13, CAP_SYS_CHROOT_ = 18, CAP_SYS_ADMIN_ = 21,
	CAP_SYS_NICE_ = 23, CAP_MKNOD_ = 27, CAP_SETFCAP_ = 31, CAP_LAST_CAP_ = 40,
};

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define BIT(c) (1ULL << (c))

static int capget_(struct cap_header *h, struct cap_data *d) { return syscall(SYS_capget, h, d); }
static int capset_(struct cap_header *h, struct cap_data *d) { return syscall(SYS_capset, h, d); }

/* caps reads the three sets of the calling thread. */
static void caps(unsigned long long *e, unsigned long long *p, unsigned long long *i) {
	struct cap_header h = {CAP_V3, 0};
	struct cap_data d[2];
	capget_(&h, d);
	*e = d[0].effective | (unsigned long long)d[1].effective << 32;
	*p = d[0].permitted | (unsigned long long)d[1].permitted << 32;
	*i = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
}

static void showcaps(const char *what) {
	unsigned long long e, p, i;
	caps(&e, &p, &i);
	printf("%s: eff %llx prm %llx inh %llx\n", what, e, p, i);
}

/* setcaps sets the three sets of the calling thread. */
static int setcaps(unsigned long long e, unsigned long long p, unsigned long long i) {
	struct cap_header h = {CAP_V3, 0};
	struct cap_data d[2] = {
		{(uint32_t)e, (uint32_t)p, (uint32_t)i},
		{(uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32)},
	};
	return capset_(&h, d);
}
