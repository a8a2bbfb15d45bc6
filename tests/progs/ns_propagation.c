/* Mount propagation: shared, slave, shared-and-slave, private and
 * unbindable mounts (with MS_REC), peer groups, mount and umount events
 * passed between peers and to slaves, a new mount namespace keeping the
 * peer relations, a less privileged one getting slaves and locked
 * mounts, and /proc/self/mountinfo's optional fields (group ids
 * renumbered in order of appearance). Needs root; everything happens in
 * a child in a new mount namespace. */
#include "file_common.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int ids[256], nids;

/* norm renumbers a peer group id by order of first appearance. */
static int norm(int id) {
	for (int i = 0; i < nids; i++)
		if (ids[i] == id) return i + 1;
	if (nids < 256) ids[nids++] = id;
	return nids;
}

struct line {
	char mp[512], root[256], opt[256];
	int idx;
};
static struct line lines[256];

static int bymp(const void *a, const void *b) {
	const struct line *x = a, *y = b;
	int c = strcmp(x->mp, y->mp);
	return c ? c : x->idx - y->idx;
}

/* show prints the mounts below dir: mount point, root in its file
 * system and the optional fields, sorted by mount point. */
static void show(const char *label) {
	printf("-- %s\n", label);
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f) {
		printf("mountinfo: %s\n", errname(errno));
		return;
	}
	char buf[4096];
	int n = 0;
	size_t dl = strlen(dir);
	while (fgets(buf, sizeof buf, f) && n < 256) {
		char root[256], mp[512];
		int off = 0;
		if (sscanf(buf, "%*d %*d %*s %255s %511s %*s%n", root, mp, &off) != 2) continue;
		if (strncmp(mp, dir, dl) != 0 || (mp[dl] != '/' && mp[dl] != 0)) continue;
		struct line *l = &lines[n];
		l->idx = n++;
		snprintf(l->mp, sizeof l->mp, ".%s", mp + dl);
		snprintf(l->root, sizeof l->root, "%s", root);
		l->opt[0] = 0;
		char *p = buf + off, *dash = strstr(p, " - ");
		if (dash) *dash = 0;
		for (char *tok = strtok(p, " \n"); tok; tok = strtok(NULL, " \n")) {
			snprintf(l->opt + strlen(l->opt), sizeof l->opt - strlen(l->opt), " %s", tok);
		}
	}
	fclose(f);
	qsort(lines, n, sizeof lines[0], bymp);
	for (int i = 0; i < n; i++) {
		printf("%s root=%s", lines[i].mp, lines[i].root);
		char opt[256];
		snprintf(opt, sizeof opt, "%s", lines[i].opt);
		for (char *tok = strtok(opt, " "); tok; tok = strtok(NULL, " ")) {
			char *c = strchr(tok, ':');
			if (c) {
				*c = 0;
				printf(" %s:%d", tok, norm(atoi(c + 1)));
			} else {
				printf(" %s", tok);
			}
		}
		printf("\n");
	}
}

static void exists(const char *p) {
	printf("  %s: %s\n", p, access(p, F_OK) == 0 ? "present" : errname(errno));
}

static void mk(const char *p) { mkdir(p, 0755); }

static void touch(const char *p) { close(open(p, O_WRONLY | O_CREAT, 0644)); }

static void tmpfs(const char *label, const char *at) {
	CHECK(label, mount("tmpfs", at, "tmpfs", 0, "mode=0755"));
}

/* peers: a shared mount and its bind are peers; mounts and unmounts on
 * one happen on the other. */
static void peers(void) {
	mk("p1");
	mk("p2");
	tmpfs("mount p1", "p1");
	mk("p1/m");
	mk("p1/m2");
	CHECK("make p1 shared", mount(NULL, "p1", NULL, MS_SHARED, NULL));
	CHECK("bind p1 on p2", mount("p1", "p2", NULL, MS_BIND, NULL));
	show("p1 and p2 are peers");
	tmpfs("mount p1/m", "p1/m");
	touch("p1/m/f");
	exists("p2/m/f");
	tmpfs("mount p2/m2", "p2/m2");
	touch("p2/m2/g");
	exists("p1/m2/g");
	show("mounts propagated");
	CHECK("umount p2/m", umount("p2/m"));
	exists("p1/m/f");
	CHECK("umount p1/m2", umount("p1/m2"));
	exists("p2/m2/g");
	show("unmounts propagated");
}

/* slaves: a slave gets its master's events and keeps its own. */
static void slaves(void) {
	mk("s");
	mk("s2");
	mk("p1/n");
	mk("p1/o");
	mk("p1/q");
	mk("p1/r");
	CHECK("bind p1 on s", mount("p1", "s", NULL, MS_BIND, NULL));
	CHECK("make s slave", mount(NULL, "s", NULL, MS_SLAVE, NULL));
	show("s is a slave of p1's group");
	tmpfs("mount p1/n", "p1/n");
	touch("p1/n/f");
	exists("s/n/f");
	tmpfs("mount s/o", "s/o");
	touch("s/o/f");
	exists("p1/o/f");
	exists("p2/o/f");
	CHECK("make s shared too", mount(NULL, "s", NULL, MS_SHARED, NULL));
	CHECK("bind s on s2", mount("s", "s2", NULL, MS_BIND, NULL));
	show("s and s2: shared and slave");
	tmpfs("mount p2/q", "p2/q");
	touch("p2/q/f");
	exists("s/q/f");
	exists("s2/q/f");
	show("propagated to the slave group");
	CHECK("umount p1/q", umount("p1/q"));
	exists("s2/q/f");
	CHECK("make s2 private", mount(NULL, "s2", NULL, MS_PRIVATE, NULL));
	tmpfs("mount p1/r", "p1/r");
	touch("p1/r/f");
	exists("s/r/f");
	exists("s2/r/f");
	show("s2 private");
	/* The master leaves: its slaves pass to a peer. */
	CHECK("umount -l p1", umount2("p1", MNT_DETACH));
	show("p1 gone, s still slave of p2");
}

/* unbindable mounts cannot be bound; recursive binds skip them. */
static void unbindable(void) {
	mk("u");
	mk("ub");
	mk("rb");
	tmpfs("mount u", "u");
	mk("u/in");
	mk("u/un");
	tmpfs("mount u/in", "u/in");
	tmpfs("mount u/un", "u/un");
	CHECK("make u/un unbindable", mount(NULL, "u/un", NULL, MS_UNBINDABLE, NULL));
	CHECK("bind u/un", mount("u/un", "ub", NULL, MS_BIND, NULL));
	CHECK("rbind u/un", mount("u/un", "ub", NULL, MS_BIND | MS_REC, NULL));
	CHECK("rbind u", mount("u", "rb", NULL, MS_BIND | MS_REC, NULL));
	show("unbindable skipped");
	CHECK("make rb shared", mount(NULL, "rb", NULL, MS_SHARED, NULL));
	CHECK("move u/un under shared rb", mount("u/un", "rb/in", NULL, MS_MOVE, NULL));
	CHECK("make u/un shared", mount(NULL, "u/un", NULL, MS_SHARED, NULL));
	CHECK("make u rshared", mount(NULL, "u", NULL, MS_SHARED | MS_REC, NULL));
	show("u recursively shared");
	CHECK("move u/in (shared parent)", mount("u/in", "ub", NULL, MS_MOVE, NULL));
	CHECK("make u rslave", mount(NULL, "u", NULL, MS_SLAVE | MS_REC, NULL));
	show("u recursively slave (no master: private)");
	CHECK("make u runbindable", mount(NULL, "u", NULL, MS_UNBINDABLE | MS_REC, NULL));
	show("u recursively unbindable");
	CHECK("make u rprivate", mount(NULL, "u", NULL, MS_PRIVATE | MS_REC, NULL));
}

/* errors of MS_SHARED and friends. */
static void errors(void) {
	CHECK("shared|private", mount(NULL, "u", NULL, MS_SHARED | MS_PRIVATE, NULL));
	CHECK("private|rdonly", mount(NULL, "u", NULL, MS_PRIVATE | MS_RDONLY, NULL));
	CHECK("private|nosuid", mount(NULL, "u", NULL, MS_PRIVATE | MS_NOSUID, NULL));
	CHECK("private|silent", mount(NULL, "u", NULL, MS_PRIVATE | MS_SILENT, NULL));
	CHECK("shared on a directory", mount(NULL, "u/un", NULL, MS_SHARED, NULL));
	CHECK("slave missing", mount(NULL, "nope", NULL, MS_SLAVE, NULL));
}

/* dominating: a slave whose master is out of reach of a chroot shows the
 * nearest reachable master group as propagate_from; mounts outside the
 * chroot are not listed. */
static void dominating(void) {
	mk("x");
	mk("y");
	mk("jail");
	tmpfs("mount jail", "jail");
	mk("jail/z");
	mk("jail/xp");
	tmpfs("mount x", "x");
	CHECK("make x shared", mount(NULL, "x", NULL, MS_SHARED, NULL));
	CHECK("bind x on y", mount("x", "y", NULL, MS_BIND, NULL));
	CHECK("make y slave", mount(NULL, "y", NULL, MS_SLAVE, NULL));
	CHECK("make y shared", mount(NULL, "y", NULL, MS_SHARED, NULL));
	CHECK("bind y on jail/z", mount("y", "jail/z", NULL, MS_BIND, NULL));
	CHECK("make jail/z slave", mount(NULL, "jail/z", NULL, MS_SLAVE, NULL));
	CHECK("bind x on jail/xp", mount("x", "jail/xp", NULL, MS_BIND, NULL));
	mk("jail/proc");
	CHECK("mount jail/proc", mount("proc", "jail/proc", "proc", 0, NULL));
	show("before the chroot");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		CHECK("chroot jail", chroot("jail"));
		FILE *f = fopen("/proc/self/mountinfo", "r");
		if (!f) {
			printf("mountinfo: %s\n", errname(errno));
			_exit(0);
		}
		printf("-- mountinfo in the chroot\n");
		char l[4096];
		while (fgets(l, sizeof l, f)) {
			char root[256], mp[512], *save;
			int off = 0;
			if (sscanf(l, "%*d %*d %*s %255s %511s %*s%n", root, mp, &off) != 2) continue;
			char *dash = strstr(l + off, " - ");
			if (dash) *dash = 0;
			printf("%s root=%s", mp, root);
			for (char *tok = strtok_r(l + off, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
				char *c = strchr(tok, ':');
				if (c) {
					*c = 0;
					printf(" %s:%d", tok, norm(atoi(c + 1)));
				} else {
					printf(" %s", tok);
				}
			}
			printf("\n");
		}
		fclose(f);
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	umount2("x", MNT_DETACH);
	umount2("y", MNT_DETACH);
	umount2("jail", MNT_DETACH);
}

/* locks: a copy into a new user namespace locks the mounts below its
 * root and their flags. */
static void locks(void) {
	mk("lk");
	mk("lk2");
	mk("lkb");
	tmpfs("mount lk", "lk");
	mk("lk/in");
	tmpfs("mount lk/in", "lk/in");
	CHECK("remount lk ro,nosuid", mount(NULL, "lk", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, NULL));
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		CHECK("unshare user+mount", unshare(CLONE_NEWUSER | CLONE_NEWNS));
		CHECK("remount rw", mount(NULL, "lk", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID, NULL));
		CHECK("remount without nosuid", mount(NULL, "lk", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
		CHECK("remount adding nodev", mount(NULL, "lk", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL));
		CHECK("umount lk", umount("lk"));
		CHECK("umount -l lk", umount2("lk", MNT_DETACH));
		CHECK("move lk", mount("lk", "lk2", NULL, MS_MOVE, NULL));
		CHECK("bind lk (its child locked)", mount("lk", "lkb", NULL, MS_BIND, NULL));
		CHECK("bind lk/in", mount("lk/in", "lkb", NULL, MS_BIND, NULL));
		CHECK("rbind lk", mount("lk", "lk2", NULL, MS_BIND | MS_REC, NULL));
		CHECK("umount the rbind's child", umount("lk2/in"));
		CHECK("umount -l the rbind", umount2("lk2", MNT_DETACH));
		CHECK("tmpfs on lk/in", mount("tmpfs", "lk/in", "tmpfs", 0, NULL));
		CHECK("umount it", umount("lk/in"));
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	umount2("lk", MNT_DETACH);
}

static int go[2], ready[2];

/* copies: a new mount namespace keeps peer groups, so mounts propagate
 * between the trees; a copy owned by a new user namespace gets slaves and
 * locked mounts. */
static void copies(int userns) {
	char x;
	mk("c");
	tmpfs("mount c", "c");
	mk("c/a");
	mk("c/b");
	mk("c/d");
	CHECK("make c shared", mount(NULL, "c", NULL, MS_SHARED, NULL));
	if (pipe(go) < 0 || pipe(ready) < 0) exit(1);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (userns) {
			CHECK("unshare user+mount", unshare(CLONE_NEWUSER | CLONE_NEWNS));
			int fd = open("/proc/self/uid_map", O_WRONLY);
			CHECK("uid_map", write(fd, "0 0 1", 5));
			close(fd);
			fd = open("/proc/self/setgroups", O_WRONLY);
			CHECK("setgroups deny", write(fd, "deny", 4));
			close(fd);
			fd = open("/proc/self/gid_map", O_WRONLY);
			CHECK("gid_map", write(fd, "0 0 1", 5));
			close(fd);
		} else {
			CHECK("unshare mount", unshare(CLONE_NEWNS));
		}
		show("the copy");
		tmpfs("mount c/a in the copy", "c/a");
		touch("c/a/f");
		CHECK("umount c in the copy", umount("c"));
		if (userns) CHECK("umount -l c in the copy", umount2("c", MNT_DETACH));
		fflush(stdout);
		write(ready[1], "r", 1);
		read(go[0], &x, 1);
		exists("c/b/f");
		CHECK("umount c/b in the copy", umount("c/b"));
		show("the copy after the parent's mount");
		fflush(stdout);
		write(ready[1], "r", 1);
		read(go[0], &x, 1);
		exists("c/a/f");
		fflush(stdout);
		_exit(0);
	}
	read(ready[0], &x, 1);
	exists("c/a/f");
	tmpfs("mount c/b in the parent", "c/b");
	touch("c/b/f");
	fflush(stdout);
	write(go[1], "g", 1);
	read(ready[0], &x, 1);
	exists("c/b/f");
	CHECK("umount c/a in the parent", umount("c/a"));
	fflush(stdout);
	write(go[1], "g", 1);
	waitpid(p, NULL, 0);
	umount2("c", MNT_DETACH);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

int main(void) {
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("nsprop");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		CHECK("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
		CHECK("make / rprivate", mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL));
		peers();
		slaves();
		unbindable();
		errors();
		dominating();
		copies(0);
		copies(1);
		locks();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	cleanup();
	return 0;
}
