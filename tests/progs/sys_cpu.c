/* sys_cpu: /sys/devices/system/cpu agrees with itself and with the CPUs a
 * process may run on: online within present within possible, every
 * online CPU with a cpuN directory whose topology lists it, kernel_max
 * above every possible CPU, sysconf's counts between the affinity mask's
 * and online's, and the attributes read-only. Only relations and the
 * affinity count (the same for the host run and kite's) are printed: the
 * host may have more CPUs online than the test may use. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXCPU 4096

/* readfile reads path into buf (NUL-terminated); -1 on failure. */
static int readfile(const char *path, char *buf, size_t size) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

/* parselist parses a CPU list ("0-3,5\n") into set; the count, or -1 when
 * malformed or without its newline. */
static int parselist(const char *s, unsigned char *set) {
	memset(set, 0, MAXCPU);
	int count = 0;
	if (strcmp(s, "\n") == 0)
		return 0;
	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;
		if (end == s || lo < 0 || lo >= MAXCPU)
			return -1;
		s = end;
		if (*s == '-') {
			hi = strtol(s + 1, &end, 10);
			if (end == s + 1 || hi < lo || hi >= MAXCPU)
				return -1;
			s = end;
		}
		for (long c = lo; c <= hi; c++)
			if (!set[c]) {
				set[c] = 1;
				count++;
			}
		if (*s == ',')
			s++;
	}
	return *s == '\n' && s[1] == 0 ? count : -1;
}

static int subset(const unsigned char *a, const unsigned char *b) {
	for (int i = 0; i < MAXCPU; i++)
		if (a[i] && !b[i])
			return 0;
	return 1;
}

static unsigned char online[MAXCPU], present[MAXCPU], possible[MAXCPU], offline[MAXCPU], tmp[MAXCPU];

static int readlist(const char *name, unsigned char *set) {
	char path[128], buf[8192];
	snprintf(path, sizeof path, "/sys/devices/system/cpu/%s", name);
	if (readfile(path, buf, sizeof buf) < 0) {
		printf("%s: unreadable (%s)\n", name, strerror(errno));
		return -1;
	}
	int n = parselist(buf, set);
	printf("%s: %s\n", name, n < 0 ? "malformed" : "a CPU list");
	return n;
}

int main(void) {
	int non = readlist("online", online);
	int npresent = readlist("present", present);
	int npossible = readlist("possible", possible);
	int noff = readlist("offline", offline);
	if (non <= 0 || npresent <= 0 || npossible <= 0 || noff < 0)
		return 1;
	printf("online within present: %s\n", subset(online, present) ? "yes" : "no");
	printf("present within possible: %s\n", subset(present, possible) ? "yes" : "no");
	int disjoint = 1, cover = 1;
	for (int i = 0; i < MAXCPU; i++) {
		if (online[i] && offline[i])
			disjoint = 0;
		if (possible[i] && !online[i] && !offline[i])
			cover = 0;
	}
	printf("offline and online disjoint, covering possible: %s\n", disjoint && cover ? "yes" : "no");

	char buf[8192];
	int maxpossible = 0;
	for (int i = 0; i < MAXCPU; i++)
		if (possible[i])
			maxpossible = i;
	if (readfile("/sys/devices/system/cpu/kernel_max", buf, sizeof buf) < 0)
		printf("kernel_max: unreadable\n");
	else
		printf("kernel_max at least the last possible CPU: %s\n", atoi(buf) >= maxpossible ? "yes" : "no");

	cpu_set_t aff;
	CPU_ZERO(&aff);
	if (sched_getaffinity(0, sizeof aff, &aff) != 0) {
		printf("sched_getaffinity: %s\n", strerror(errno));
		return 1;
	}
	int naff = CPU_COUNT(&aff), affonline = 1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &aff) && (i >= MAXCPU || !online[i]))
			affonline = 0;
	printf("affinity: %d CPUs, all online: %s\n", naff, affonline ? "yes" : "no");
	long onln = sysconf(_SC_NPROCESSORS_ONLN), conf = sysconf(_SC_NPROCESSORS_CONF);
	printf("_SC_NPROCESSORS_ONLN between affinity and online: %s\n", onln >= naff && onln <= non ? "yes" : "no");
	printf("_SC_NPROCESSORS_CONF at least _SC_NPROCESSORS_ONLN: %s\n", conf >= onln ? "yes" : "no");

	/* Each online CPU has its directory; its topology lists it among its
	 * thread and core siblings, which are online CPUs. */
	int dirs = 1, topo = 1;
	for (int i = 0; i < MAXCPU; i++) {
		if (!online[i])
			continue;
		char path[128];
		struct stat st;
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d", i);
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			dirs = 0;
			continue;
		}
		const char *lists[] = {"thread_siblings_list", "core_siblings_list"};
		for (int j = 0; j < 2; j++) {
			snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/%s", i, lists[j]);
			if (readfile(path, buf, sizeof buf) < 0 || parselist(buf, tmp) <= 0 || !tmp[i] || !subset(tmp, present))
				topo = 0;
		}
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_id", i);
		if (readfile(path, buf, sizeof buf) < 0 || buf[0] < '0' || buf[0] > '9')
			topo = 0;
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", i);
		if (readfile(path, buf, sizeof buf) < 0 || buf[0] < '0' || buf[0] > '9')
			topo = 0;
	}
	printf("every online CPU has a directory: %s\n", dirs ? "yes" : "no");
	printf("every online CPU's topology lists it: %s\n", topo ? "yes" : "no");

	/* The cpuN entries name present CPUs and are directories. */
	DIR *d = opendir("/sys/devices/system/cpu");
	if (!d) {
		printf("opendir: %s\n", strerror(errno));
		return 1;
	}
	int named = 1, seen = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		if (strncmp(e->d_name, "cpu", 3) != 0 || e->d_name[3] < '0' || e->d_name[3] > '9')
			continue;
		long n = strtol(e->d_name + 3, &end, 10);
		if (*end != 0)
			continue;
		seen++;
		if (n >= MAXCPU || !present[n] || e->d_type != DT_DIR)
			named = 0;
	}
	closedir(d);
	printf("cpuN entries are present CPUs' directories: %s (at least one: %s)\n", named ? "yes" : "no", seen > 0 ? "yes" : "no");

	struct stat st;
	if (stat("/sys/devices/system/cpu/online", &st) == 0)
		printf("online: regular %d mode %o size %lld\n", S_ISREG(st.st_mode) ? 1 : 0,
		       (unsigned)(st.st_mode & 07777), (long long)st.st_size);
	int fd = open("/sys/devices/system/cpu/online", O_WRONLY);
	printf("open online for writing: %s\n", fd >= 0 ? "OK" : strerror(errno));
	fd = open("/sys/devices/system/cpu/cpu0/topology/core_id", O_RDWR);
	printf("open core_id read-write: %s\n", fd >= 0 ? "OK" : strerror(errno));
	return 0;
}
