/* personality(2): queries, any value kept, uname under PER_LINUX32,
 * READ_IMPLIES_EXEC adding PROT_EXEC to mmap and mprotect, inheritance
 * by fork, and what execve keeps (it clears READ_IMPLIES_EXEC). */
#include "misc_common.h"
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/utsname.h>

static void show_perms(const char *label, void *p) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long want = (unsigned long)p;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && lo <= want && want < hi) {
			printf("%s: %s\n", label, perms);
			fclose(f);
			return;
		}
	}
	printf("%s: not found\n", label);
	if (f) fclose(f);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1) {
		CHECKX("after exec", personality(0xffffffff));
		return 0;
	}
	CHECKX("query", personality(0xffffffff));
	CHECKX("set LINUX32", personality(PER_LINUX32));
	CHECKX("query", personality(0xffffffff));
	struct utsname u;
	uname(&u);
	printf("machine under LINUX32: %s\n", u.machine);
	CHECKX("set odd value", personality(0x12345678));
	CHECKX("query", personality(0xffffffff));
	CHECKX("set -2", syscall(SYS_personality, -2L));
	CHECKX("query", personality(0xffffffff));
	CHECKX("set PER_LINUX", personality(PER_LINUX));
	uname(&u);
	printf("machine under LINUX: %s\n", u.machine);

	void *before = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show_perms("read-only before", before);
	CHECKX("set READ_IMPLIES_EXEC", personality(READ_IMPLIES_EXEC));
	void *after = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show_perms("read-only after", after);
	void *wo = mmap(NULL, 4096, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show_perms("write-only after", wo);
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show_perms("none after", none);
	CHECK("mprotect read", mprotect(none, 4096, PROT_READ));
	show_perms("mprotect read", none);
	CHECK("mprotect rw", mprotect(before, 4096, PROT_READ | PROT_WRITE));
	show_perms("mprotect rw", before);

	CHECKX("set ADDR_NO_RANDOMIZE|READ_IMPLIES_EXEC", personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC));
	pid_t pid = fork();
	if (pid == 0) {
		CHECKX("child query", personality(0xffffffff));
		_exit(0);
	}
	waitchild("child", pid);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		_exit(99);
	}
	waitchild("exec child", pid);
	CHECKX("set LINUX32|ADDR_NO_RANDOMIZE", personality(PER_LINUX32 | ADDR_NO_RANDOMIZE));
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		_exit(99);
	}
	waitchild("exec child 32", pid);
	return 0;
}
