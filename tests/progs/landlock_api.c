/* landlock_create_ruleset(2), landlock_add_rule(2) and
 * landlock_restrict_self(2): the ruleset file and every argument the
 * kernel rejects. The ABI version is printed capped at 5, the newest
 * these tests know (kite implements 5, the host's may be newer). */
#include "landlock_common.h"
#include <sys/mman.h>

int main(void)
{
	int v = abi();
	printf("abi (at most 5): %d\n", v < 5 ? v : 5);
	report("version with attr", ll_create((void *)8, 0, LL_CREATE_RULESET_VERSION));
	report("version with size", ll_create(NULL, 8, LL_CREATE_RULESET_VERSION));
	report("unknown flag", ll_create(NULL, 0, 1U << 5));

	struct ll_ruleset_attr a = { .handled_access_fs = LL_FS_READ_FILE };
	report("NULL attr", ll_create(NULL, sizeof a, 0));
	report("size 4", ll_create(&a, 4, 0));
	report("size 4097", ll_create(&a, 4097, 0));
	report("bad pointer", ll_create((void *)8, sizeof a, 0));
	struct { struct ll_ruleset_attr a; uint64_t pad; } big = { a, 0 };
	int fd = (int)ll_create(&big, sizeof big, 0);
	report("larger struct, zero tail", fd);
	close(fd);
	big.pad = 1;
	report("larger struct, nonzero tail", ll_create(&big, sizeof big, 0));
	fd = (int)ll_create(&a, 8, 0);
	report("size 8", fd);
	close(fd);
	struct ll_ruleset_attr e = { 0 };
	report("handles nothing", ll_create(&e, sizeof e, 0));
	e.handled_access_fs = 1ULL << 62;
	report("unknown fs right", ll_create(&e, sizeof e, 0));

	int rs = (int)ll_create(&a, sizeof a, 0);
	report("create", rs);
	printf("cloexec %d\n", fcntl(rs, F_GETFD) & FD_CLOEXEC);
	printf("accmode %d\n", fcntl(rs, F_GETFL) & O_ACCMODE);
	char link[64], target[128] = "";
	snprintf(link, sizeof link, "/proc/self/fd/%d", rs);
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n > 0)
		target[n] = 0;
	printf("link %s\n", target);
	struct stat st;
	fstat(rs, &st);
	printf("mode %o\n", st.st_mode);
	char buf[8];
	report("read", read(rs, buf, sizeof buf));
	report("write", write(rs, buf, sizeof buf));

	struct ll_path_beneath_attr pb = { .allowed_access = LL_FS_READ_FILE };
	pb.parent_fd = open(".", O_PATH | O_DIRECTORY);
	report("add O_PATH dir", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	report("add again", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	report("add flags", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 1));
	report("add bad ruleset fd", ll_add(999, LL_RULE_PATH_BENEATH, &pb, 0));
	report("add O_PATH fd as ruleset", ll_add(pb.parent_fd, LL_RULE_PATH_BENEATH, &pb, 0));
	int devnull = open("/dev/null", O_RDWR);
	report("add not a ruleset", ll_add(devnull, LL_RULE_PATH_BENEATH, &pb, 0));
	report("add bad type", ll_add(rs, 99, &pb, 0));
	report("add NULL attr", ll_add(rs, LL_RULE_PATH_BENEATH, NULL, 0));
	struct { uint64_t allowed; uint64_t port; } np = { 1, 80 };
	report("add net port, net not handled", ll_add(rs, LL_RULE_NET_PORT, &np, 0));
	pb.allowed_access = 0;
	report("add nothing", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	pb.allowed_access = LL_FS_WRITE_FILE;
	report("add unhandled right", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	pb.allowed_access = LL_FS_READ_FILE;
	int dirfd = pb.parent_fd;
	pb.parent_fd = 999;
	report("add bad parent fd", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	pb.parent_fd = rs;
	report("add ruleset as parent", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	int p[2];
	pipe(p);
	pb.parent_fd = p[0];
	report("add pipe as parent", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	pb.parent_fd = open("/proc/self/exe", O_RDONLY);
	report("add regular file", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	close(pb.parent_fd);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	pb.parent_fd = dir;
	report("add plain dir fd", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
	close(dir);
	int rs2 = ruleset(LL_FS_READ_FILE | LL_FS_READ_DIR);
	pb.parent_fd = open("/proc/self/exe", O_PATH);
	pb.allowed_access = LL_FS_READ_DIR;
	report("add dir right on a file", ll_add(rs2, LL_RULE_PATH_BENEATH, &pb, 0));
	close(pb.parent_fd);
	close(dirfd);

	report("restrict flags", ll_restrict(rs, 1U << 20));
	report("restrict bad fd", ll_restrict(999, 0));
	report("restrict not a ruleset", ll_restrict(devnull, 0));
	report("restrict pipe", ll_restrict(p[0], 0));

	/* Without no_new_privs only CAP_SYS_ADMIN may restrict itself. */
	pid_t pid = fork();
	if (pid == 0) {
		if (getuid() == 0 && setuid(65534) < 0)
			_exit(3);
		report("restrict unprivileged without no_new_privs", ll_restrict(rs, 0));
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		report("restrict unprivileged with no_new_privs", ll_restrict(rs, 0));
		_exit(0);
	}
	waitchild("unprivileged", pid);

	/* At most 16 domains stack. */
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		int i;
		for (i = 0; i < 20; i++)
			if (ll_restrict(rs, 0) < 0)
				break;
		printf("layers %d: %s\n", i, errname(errno));
		fflush(stdout);
		_exit(0);
	}
	waitchild("layers", pid);
	return 0;
}
