/* The vDSO: AT_SYSINFO_EHDR points at an ELF image that /proc/self/maps
 * names [vdso] (with a [vvar] data page that mprotect cannot make
 * writable), whose dynamic symbols (found here through its own DT_HASH
 * and version tables, as C libraries do) include __vdso_clock_gettime,
 * __vdso_gettimeofday, __vdso_time, __vdso_getcpu and
 * __vdso_clock_getres at version LINUX_2.6. Every clock read through the
 * vDSO, through the C library and through the system call never goes
 * backwards whichever way the readings are mixed, in the parent and in a
 * forked child; time() <= gettimeofday <= clock_gettime(CLOCK_REALTIME);
 * a file's mtime is not ahead of clock_gettime after the write; the
 * vDSO's clock_getres agrees with the system call's, and clocks it does
 * not compute (CPU-time and unknown ones) give the system call's answers.
 * Clock values are compared, never printed. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef long (*cgt_fn)(clockid_t, struct timespec *);
typedef long (*gtod_fn)(struct timeval *, void *);
typedef long (*time_fn)(long *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static const Elf64_Ehdr *ehdr;
static uintptr_t vbias;
static const Elf64_Sym *symtab;
static const char *strtab;
static const Elf64_Half *versym;
static const Elf64_Verdef *verdef;
static unsigned nsyms;

static int parse_vdso(void) {
	const Elf64_Phdr *ph = (const void *)((const char *)ehdr + ehdr->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	int loads = 0;
	for (int i = 0; i < ehdr->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && loads++ == 0)
			vbias = (uintptr_t)ehdr + ph[i].p_offset - ph[i].p_vaddr;
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const void *)((const char *)ehdr + ph[i].p_offset);
	}
	if (!loads || !dyn)
		return -1;
	const Elf32_Word *hash = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = vbias + dyn->d_un.d_ptr;
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = (const void *)p; break;
		case DT_STRTAB: strtab = (const void *)p; break;
		case DT_HASH: hash = (const void *)p; break;
		case DT_VERSYM: versym = (const void *)p; break;
		case DT_VERDEF: verdef = (const void *)p; break;
		}
	}
	if (!symtab || !strtab || !hash)
		return -1;
	nsyms = hash[1];
	return 0;
}

/* version_of returns the name of the version definition with index ndx. */
static const char *version_of(unsigned ndx) {
	const Elf64_Verdef *d = verdef;
	while (d) {
		if (!(d->vd_flags & VER_FLG_BASE) && (d->vd_ndx & 0x7fff) == ndx) {
			const Elf64_Verdaux *a = (const void *)((const char *)d + d->vd_aux);
			return strtab + a->vda_name;
		}
		if (!d->vd_next)
			break;
		d = (const void *)((const char *)d + d->vd_next);
	}
	return NULL;
}

static void *lookup(const char *name, const char *version) {
	for (unsigned i = 0; i < nsyms; i++) {
		const Elf64_Sym *s = &symtab[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF)
			continue;
		if (strcmp(strtab + s->st_name, name) != 0)
			continue;
		if (versym && verdef) {
			const char *v = version_of(versym[i] & 0x7fff);
			if (!v || strcmp(v, version) != 0)
				continue;
		}
		return (void *)(vbias + s->st_value);
	}
	return NULL;
}

static long long ns(const struct timespec *ts) { return ts->tv_sec * 1000000000LL + ts->tv_nsec; }

static cgt_fn vcgt;
static gtod_fn vgtod;
static time_fn vtime;

/* mixed reads clock c 1200 times, rotating between the vDSO, the C
 * library and the system call, and reports whether it ever went back. */
static int mixed(clockid_t c, long long *last) {
	int ok = 1;
	long long prev = *last;
	for (long i = 0; i < 1200; i++) {
		struct timespec ts;
		long r;
		switch (i % 3) {
		case 0: r = vcgt(c, &ts); break;
		case 1: r = clock_gettime(c, &ts); break;
		default: r = syscall(SYS_clock_gettime, c, &ts); break;
		}
		if (r != 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L || ns(&ts) < prev)
			ok = 0;
		prev = ns(&ts);
	}
	*last = prev;
	return ok;
}

static const struct {
	clockid_t id;
	const char *name;
} clocks[] = {
	{CLOCK_REALTIME, "REALTIME"},
	{CLOCK_MONOTONIC, "MONOTONIC"},
	{CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"},
	{CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
	{CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"},
	{CLOCK_BOOTTIME, "BOOTTIME"},
	{CLOCK_TAI, "TAI"},
};
#define NCLOCKS (sizeof clocks / sizeof clocks[0])

int main(void) {
	ehdr = (const void *)getauxval(AT_SYSINFO_EHDR);
	printf("AT_SYSINFO_EHDR set: %d\n", ehdr != NULL);
	if (!ehdr)
		return 1;
	printf("ELF magic: %d\n", memcmp(ehdr->e_ident, ELFMAG, SELFMAG) == 0);
	printf("parsed: %d\n", parse_vdso() == 0);
	const char *names[] = {"__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu",
			       "__vdso_clock_getres"};
	for (int i = 0; i < 5; i++)
		printf("%s@LINUX_2.6: %d\n", names[i], lookup(names[i], "LINUX_2.6") != NULL);
	vcgt = (cgt_fn)lookup("__vdso_clock_gettime", "LINUX_2.6");
	vgtod = (gtod_fn)lookup("__vdso_gettimeofday", "LINUX_2.6");
	vtime = (time_fn)lookup("__vdso_time", "LINUX_2.6");
	getcpu_fn vgetcpu = (getcpu_fn)lookup("__vdso_getcpu", "LINUX_2.6");
	cgt_fn vgetres = (cgt_fn)lookup("__vdso_clock_getres", "LINUX_2.6");
	if (!vcgt || !vgtod || !vtime || !vgetcpu || !vgetres)
		return 1;

	/* The mappings. */
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int vdso_at_ehdr = 0, vvar = 0;
	unsigned long vvar_start = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (strstr(line, " [vdso]\n")) {
			vdso_at_ehdr += lo == (unsigned long)ehdr;
			printf("[vdso] perms %s\n", perms);
		}
		if (strstr(line, " [vvar]\n") && !vvar++) {
			vvar_start = lo;
			printf("[vvar] perms %s\n", perms);
		}
	}
	if (f)
		fclose(f);
	printf("[vdso] at AT_SYSINFO_EHDR: %d, [vvar] present: %d\n", vdso_at_ehdr, vvar > 0);
	if (vvar_start) {
		errno = 0;
		int r = mprotect((void *)vvar_start, 4096, PROT_READ | PROT_WRITE);
		printf("mprotect([vvar], PROT_WRITE) = %d %s\n", r, r ? strerror(errno) : "");
	}

	/* Each clock, mixed, never goes back. */
	long long last[NCLOCKS];
	for (unsigned i = 0; i < NCLOCKS; i++) {
		last[i] = 0;
		printf("%s monotonic across vDSO, libc and syscall: %d\n", clocks[i].name,
		       mixed(clocks[i].id, &last[i]));
	}

	/* time <= gettimeofday <= clock_gettime(CLOCK_REALTIME), in each
	 * combination of vDSO and system call. */
	int order = 1;
	for (long i = 0; i < 2000; i++) {
		long t = (i & 1) ? vtime(NULL) : syscall(SYS_time, NULL);
		struct timeval tv;
		struct timespec ts;
		if ((i & 2) ? vgtod(&tv, NULL) : syscall(SYS_gettimeofday, &tv, NULL))
			order = 0;
		if ((i & 4) ? vcgt(CLOCK_REALTIME, &ts) : syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts))
			order = 0;
		if (t > tv.tv_sec || tv.tv_sec * 1000000LL + tv.tv_usec > ns(&ts) / 1000)
			order = 0;
	}
	printf("time <= gettimeofday <= clock_gettime: %d\n", order);
	long tp = 0, tr = vtime(&tp);
	printf("time(&t) stores its result: %d\n", tp == tr);
	struct timezone tz = {1, 1};
	struct timeval tv;
	long rg = vgtod(&tv, &tz);
	printf("gettimeofday with a timezone: %ld %d %d\n", rg, tz.tz_minuteswest, tz.tz_dsttime);

	/* A file written now has an mtime not ahead of the clock. */
	char path[] = "/tmp/vdso_timeXXXXXX";
	int fd = mkstemp(path);
	int mtime_ok = fd >= 0;
	for (int i = 0; fd >= 0 && i < 200; i++) {
		struct stat st;
		struct timespec after;
		if (write(fd, "x", 1) != 1 || fstat(fd, &st) != 0)
			mtime_ok = 0;
		if ((i & 1) ? vcgt(CLOCK_REALTIME, &after) : clock_gettime(CLOCK_REALTIME, &after))
			mtime_ok = 0;
		if (ns(&st.st_mtim) > ns(&after))
			mtime_ok = 0;
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	printf("mtime not ahead of clock_gettime: %d\n", mtime_ok);

	/* A forked child has the vDSO where its parent had it, and its
	 * clocks go on from the parent's readings. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = getauxval(AT_SYSINFO_EHDR) == (unsigned long)ehdr;
		for (unsigned i = 0; i < NCLOCKS; i++)
			ok &= mixed(clocks[i].id, &last[i]);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	printf("child: vDSO and clocks ok: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* clock_getres through the vDSO is the system call's. */
	for (unsigned i = 0; i < NCLOCKS; i++) {
		struct timespec a = {-1, -1}, b = {-2, -2};
		long ra = vgetres(clocks[i].id, &a), rb = syscall(SYS_clock_getres, clocks[i].id, &b);
		printf("clock_getres %s agrees: %d\n", clocks[i].name, ra == rb && a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec);
	}
	printf("clock_getres(MONOTONIC, NULL) = %ld\n", vgetres(CLOCK_MONOTONIC, NULL));

	/* What the vDSO does not compute is the system call. */
	struct timespec ts;
	printf("vDSO CLOCK_PROCESS_CPUTIME_ID = %ld\n", vcgt(CLOCK_PROCESS_CPUTIME_ID, &ts));
	printf("vDSO CLOCK_THREAD_CPUTIME_ID = %ld\n", vcgt(CLOCK_THREAD_CPUTIME_ID, &ts));
	printf("vDSO clock 100 = %ld\n", vcgt(100, &ts));
	printf("vDSO clock_getres 100 = %ld\n", vgetres(100, &ts));
	unsigned cpu = ~0u, node = ~0u;
	long r = vgetcpu(&cpu, &node, NULL);
	printf("vDSO getcpu = %ld, cpu valid %d, node %u\n", r, cpu < CPU_SETSIZE, node);
	printf("sched_getcpu valid: %d\n", sched_getcpu() >= 0);
	return 0;
}
