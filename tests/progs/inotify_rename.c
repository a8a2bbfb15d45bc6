/* inotify: renames within and across watched directories (MOVED_FROM and
 * MOVED_TO share a cookie; MOVE_SELF on the moved file), a rename over an
 * existing file, RENAME_EXCHANGE, a directory rename, hard links, and
 * IN_ONESHOT. */
#include "inotify_common.h"
#include <stdio.h>
#include <sys/syscall.h>

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char d1[] = "/tmp/inotify_renXXXXXX";
	if (!mkdtemp(d1)) { perror("mkdtemp"); return 1; }
	char d2[256], a[256], b[256], c[256], sub[256], sub2[256], l[256];
	snprintf(d2, sizeof d2, "%s/d2", d1);
	snprintf(a, sizeof a, "%s/a", d1);
	snprintf(b, sizeof b, "%s/b", d1);
	snprintf(c, sizeof c, "%s/c", d2);
	snprintf(sub, sizeof sub, "%s/sub", d1);
	snprintf(sub2, sizeof sub2, "%s/sub2", d2);
	snprintf(l, sizeof l, "%s/link", d2);
	mkdir(d2, 0755);
	write_file(a, "a");
	write_file(b, "b");

	int fd = inotify_init1(IN_NONBLOCK);
	int w1 = inotify_add_watch(fd, d1, IN_ALL_EVENTS);
	int base = w1 - 1;
	CHECK("watch d2", inotify_add_watch(fd, d2, IN_ALL_EVENTS) - base);
	CHECK("watch a", inotify_add_watch(fd, a, IN_ALL_EVENTS) - base);
	CHECK("watch b", inotify_add_watch(fd, b, IN_ALL_EVENTS) - base);

	CHECK("rename a -> d2/c", rename(a, c));
	drain("across directories", fd, base);
	CHECK("rename d2/c -> b (over b)", rename(c, b));
	drain("over an existing file", fd, base);
	write_file(a, "new a");
	drain("recreate a", fd, base);
	CHECK("renameat2 EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2));
	drain("exchange", fd, base);
	CHECK("mkdir sub", mkdir(sub, 0755));
	CHECK("watch sub", inotify_add_watch(fd, sub, IN_ALL_EVENTS) - base);
	CHECK("rename sub -> d2/sub2", rename(sub, sub2));
	drain("directory rename", fd, base);
	CHECK("link b -> d2/link", link(b, l));
	drain("hard link", fd, base);

	/* ONESHOT: the first event removes the watch. */
	CHECK("oneshot watch on link", inotify_add_watch(fd, l, IN_ATTRIB | IN_MODIFY | IN_ONESHOT) - base);
	CHECK("chmod link", chmod(l, 0600));
	CHECK("chmod link again", chmod(l, 0644));
	drain("oneshot", fd, base);

	/* Moves seen by the directory only. */
	CHECK("rm_watch d2", inotify_rm_watch(fd, base + 2));
	CHECK("rename link -> d1/moved", rename(l, a));
	drain("only the source directory watched", fd, base);

	unlink(a);
	unlink(b);
	rmdir(sub2);
	rmdir(d2);
	rmdir(d1);
	drain("cleanup", fd, base);
	close(fd);
	return 0;
}
