/* inotify: events of creating, writing, reading, closing, chmod and
 * deleting files in a watched directory and on watched files; mkdir and
 * rmdir (ISDIR); FIONREAD; poll readiness; read with a short buffer; and
 * the errors of inotify_init1, inotify_add_watch and inotify_rm_watch. */
#include "inotify_common.h"
#include <poll.h>
#include <sys/syscall.h>

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char dir[] = "/tmp/inotify_basicXXXXXX";
	if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
	char file[256], sub[256], other[256];
	snprintf(file, sizeof file, "%s/a", dir);
	snprintf(sub, sizeof sub, "%s/sub", dir);
	snprintf(other, sizeof other, "%s/b", dir);

	CHECK("init1 bad flags", inotify_init1(0x10));
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	CHECKOK("init1", fd);
	CHECK("F_GETFD", fcntl(fd, F_GETFD));
	CHECK("F_GETFL", fcntl(fd, F_GETFL) & ~0100000);
	int plain = syscall(SYS_inotify_init);
	CHECKOK("init", plain);

	/* Errors. */
	CHECK("add_watch bad fd", inotify_add_watch(999, dir, IN_ALL_EVENTS));
	CHECK("add_watch not inotify", inotify_add_watch(1, dir, IN_ALL_EVENTS));
	CHECK("add_watch zero mask", inotify_add_watch(fd, dir, 0));
	CHECK("add_watch ADD|CREATE", inotify_add_watch(fd, dir, IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
	CHECK("add_watch missing", inotify_add_watch(fd, "/nonexistent/x", IN_MODIFY));
	CHECK("add_watch bad path", inotify_add_watch(fd, bad, IN_MODIFY));
	CHECK("rm_watch bad fd", inotify_rm_watch(999, 1));
	CHECK("rm_watch not inotify", inotify_rm_watch(1, 1));
	CHECK("rm_watch unknown wd", inotify_rm_watch(fd, 12345));
	write_file(file, "hello");
	CHECK("add_watch ONLYDIR on file", inotify_add_watch(fd, file, IN_MODIFY | IN_ONLYDIR));

	int wd = inotify_add_watch(fd, dir, IN_ALL_EVENTS);
	CHECKOK("add_watch dir", wd);
	int base = wd - 1;
	CHECK("add_watch dir again (same wd)", inotify_add_watch(fd, dir, IN_ALL_EVENTS) - base);
	CHECK("add_watch MASK_CREATE existing", inotify_add_watch(fd, dir, IN_MODIFY | IN_MASK_CREATE));
	CHECK("add_watch file", inotify_add_watch(fd, file, IN_ALL_EVENTS) - base);
	CHECK("read empty", read(fd, (char[64]){0}, 64));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	CHECK("poll empty", poll(&p, 1, 0));

	/* Modify and read the watched file. */
	int f = open(file, O_RDWR | O_APPEND);
	CHECK("write", write(f, " world", 6));
	CHECK("write again", write(f, "!", 1));
	char b[64];
	lseek(f, 0, SEEK_SET);
	CHECK("read", read(f, b, sizeof b));
	close(f);
	CHECK("poll ready", poll(&p, 1, 0));
	print_events("revents", p.revents);
	CHECK("read into 8 bytes", read(fd, b, 8));
	drain("write and read", fd, base);

	/* Create, truncate, chmod, utimes, unlink. */
	write_file(other, "x");
	CHECK("chmod", chmod(other, 0600));
	CHECK("truncate", truncate(other, 0));
	CHECK("utimes", utimes(other, NULL));
	CHECK("unlink", unlink(other));
	drain("create, attributes and unlink", fd, base);

	/* Directories. */
	CHECK("mkdir", mkdir(sub, 0755));
	int sfd = open(sub, O_RDONLY | O_DIRECTORY);
	close(sfd);
	CHECK("rmdir", rmdir(sub));
	drain("mkdir and rmdir", fd, base);

	/* Removing a watch. */
	CHECK("rm_watch file", inotify_rm_watch(fd, base + 2));
	CHECK("rm_watch file again", inotify_rm_watch(fd, base + 2));
	drain("rm_watch", fd, base);

	/* Masks: only CLOSE_WRITE, then MASK_ADD of OPEN. */
	CHECK("replace mask", inotify_add_watch(fd, dir, IN_CLOSE_WRITE) - base);
	write_file(other, "y");
	CHECK("add OPEN", inotify_add_watch(fd, dir, IN_OPEN | IN_MASK_ADD) - base);
	write_file(other, "z");
	drain("masks", fd, base);

	CHECK("unlink a", unlink(file));
	CHECK("unlink b", unlink(other));
	CHECK("rmdir dir", rmdir(dir));
	drain("watched directory removed", fd, base);
	CHECK("rm_watch after removal", inotify_rm_watch(fd, base + 1));
	close(fd);
	close(plain);
	return 0;
}
