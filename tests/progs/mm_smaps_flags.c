/* /proc/self/smaps: the size and the VmFlags line of mappings made with
 * the flags kite keeps (protection, shared, read-only file, grows-down,
 * locked, lock-on-fault, accounted, noreserve, madvise hints, dontfork,
 * wipeonfork, dontdump, sealed, guard pages), and fields every mapping
 * has. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

static long P;

/* show prints the permissions and VmFlags of the mapping starting at
 * addr, whether its Size is its length, and how many of the fields smaps
 * readers look for its entry has. (Sizes themselves depend on which
 * neighbours a mapping merged with.) */
static void show(const char *what, void *addr) {
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f) {
		perror("smaps");
		exit(1);
	}
	char line[512];
	int in = 0, fields = 0;
	unsigned long start = (unsigned long)addr, len = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long s, e;
		char perm[8];
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perm) == 3 && !strstr(line, " kB")) {
			if (in)
				break;
			in = s == start;
			len = e - s;
			if (in)
				printf("%s: %s", what, perm);
			continue;
		}
		if (!in)
			continue;
		if (!strncmp(line, "Size:", 5))
			printf(", size %s", strtoul(line + 5, NULL, 10) * 1024 == len ? "right" : "wrong");
		if (!strncmp(line, "Rss:", 4) || !strncmp(line, "Pss:", 4) || !strncmp(line, "Private_Dirty:", 14) ||
		    !strncmp(line, "Anonymous:", 10) || !strncmp(line, "Swap:", 5) || !strncmp(line, "Locked:", 7))
			fields++;
		if (!strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = 0;
			printf(", %d fields, %s\n", fields, line);
		}
	}
	fclose(f);
	if (!in)
		printf("%s: not found\n", what);
}

static char *anon(int prot, int flags, long pages) {
	char *m = mmap(NULL, pages * P, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return m;
}

int main(void) {
	P = sysconf(_SC_PAGESIZE);
	char *m = anon(PROT_READ | PROT_WRITE, 0, 3);
	m[0] = 1;
	show("private rw", m);
	show("private ro", anon(PROT_READ, 0, 2));
	show("private exec", anon(PROT_READ | PROT_EXEC, 0, 2));
	show("prot none", anon(PROT_NONE, 0, 2));
	show("noreserve", anon(PROT_READ | PROT_WRITE, MAP_NORESERVE, 2));
	show("growsdown", anon(PROT_READ | PROT_WRITE, MAP_GROWSDOWN, 4));
	char *s = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	show("shared anon", s);
	char *r = anon(PROT_READ | PROT_WRITE, 0, 2);
	mprotect(r, 2 * P, PROT_READ);
	show("was writable", r);

	char *l = anon(PROT_READ | PROT_WRITE, 0, 2);
	if (mlock(l, 2 * P) == 0)
		show("mlock", l);
	char *lf = anon(PROT_READ | PROT_WRITE, 0, 2);
	if (syscall(SYS_mlock2, lf, 2 * P, MLOCK_ONFAULT) == 0)
		show("mlock onfault", lf);

	struct {
		const char *name;
		int advice;
	} adv[] = {
		{"sequential", MADV_SEQUENTIAL}, {"random", MADV_RANDOM},       {"dontfork", MADV_DONTFORK},
		{"wipeonfork", MADV_WIPEONFORK}, {"dontdump", MADV_DONTDUMP},
	};
	for (unsigned i = 0; i < sizeof adv / sizeof adv[0]; i++) {
		char *a = anon(PROT_READ | PROT_WRITE, 0, 2);
		if (madvise(a, 2 * P, adv[i].advice) == 0)
			show(adv[i].name, a);
	}
	char *g = anon(PROT_READ | PROT_WRITE, 0, 4);
	if (madvise(g + P, P, 102 /* MADV_GUARD_INSTALL */) == 0)
		show("with a guard page", g);
	char *sl = anon(PROT_READ, 0, 2);
	if (syscall(462 /* mseal */, sl, 2 * P, 0) == 0)
		show("sealed", sl);

	char path[64];
	snprintf(path, sizeof path, "/dev/shm/mm_smaps_flags_%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ftruncate(fd, 2 * P);
	int rd = open(path, O_RDONLY);
	unlink(path);
	show("file shared rw", mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	show("file shared from O_RDONLY", mmap(NULL, 2 * P, PROT_READ, MAP_SHARED, rd, 0));
	show("file private", mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, rd, 0));
	show("file private ro", mmap(NULL, 2 * P, PROT_READ, MAP_PRIVATE, rd, 0));
	int mfd = memfd_create("smaps", 0);
	ftruncate(mfd, P);
	show("memfd shared", mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0));
	return 0;
}
