/* Set-id bits dropped by write, truncate, chown and chmod, for root and
 * for an unprivileged user, and file permission decisions made by single
 * capabilities kept across setuid (DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER,
 * CHOWN, FSETID, KILL). Run as a user, the privileged steps meet the
 * unprivileged errors. */
#include "file_common.h"
#include "cap_common.h"
#include <signal.h>
#include <sys/wait.h>

static void mode(const char *p, const char *what) {
	struct stat st;
	if (stat(p, &st) < 0) {
		printf("%s: stat %s\n", what, errname(errno));
		return;
	}
	printf("%s: %o\n", what, st.st_mode & 07777);
}

static void touch(const char *p, int m) {
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd >= 0) close(fd);
	chmod(p, m);
}

static void writeone(const char *p) {
	int fd = open(p, O_WRONLY);
	if (fd < 0) {
		printf("open %s: %s\n", p, errname(errno));
		return;
	}
	if (write(fd, "x", 1) != 1) printf("write: %s\n", errname(errno));
	close(fd);
}

static void child(void (*fn)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
}

/* become drops to uid/gid 1000 keeping the capabilities in keep. */
static void become(unsigned long long keep) {
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	setgroups(0, NULL);
	setresgid(1000, 1000, 1000);
	setresuid(1000, 1000, 1000);
	if (setcaps(keep, keep, 0) < 0) printf("setcaps: %s\n", errname(errno));
}

static void user_writes(void) {
	become(0);
	writeone("f");
	mode("f", "user write 6777");
	chmod("f", 06777);
	mode("f", "user chmod");
	int fd = open("f", O_WRONLY);
	CHECK("user ftruncate", ftruncate(fd, 0));
	close(fd);
	mode("f", "after ftruncate");
	chmod("f", 02767);
	writeone("f");
	mode("f", "user write 2767");
	chmod("f", 06777);
	CHECK("user chown -1 -1", chown("f", -1, -1));
	mode("f", "after user chown");
}

static void user_not_in_group(void) {
	become(0);
	CHECK("chmod 2777 outside group", chmod("g", 02777));
	mode("g", "after chmod");
	writeone("g");
	mode("g", "write sgid-noexec outside group");
}

static void user_fsetid(void) {
	become(BIT(CAP_FSETID_));
	writeone("f");
	mode("f", "write with FSETID");
	CHECK("chmod 2777 outside group with FSETID", chmod("g", 02777));
	mode("g", "after chmod");
}

static void dac(void) {
	become(0);
	CHECK("open secret", open("secret", O_RDONLY));
	CHECK("open closed dir", open("closed/x", O_RDONLY));
}

static void dac_read_search(void) {
	become(BIT(CAP_DAC_READ_SEARCH_));
	CHECKOK("read secret", open("secret", O_RDONLY));
	CHECK("write secret", open("secret", O_WRONLY));
	CHECKOK("read through closed dir", open("closed/x", O_RDONLY));
	CHECK("create in closed dir", open("closed/y", O_CREAT | O_WRONLY, 0600));
	CHECK("exec secret", access("secret", X_OK));
}

static void dac_override(void) {
	become(BIT(CAP_DAC_OVERRIDE_));
	CHECKOK("read secret", open("secret", O_RDONLY));
	CHECKOK("write secret", open("secret", O_WRONLY));
	CHECKOK("create in closed dir", open("closed/y", O_CREAT | O_WRONLY, 0600));
	CHECK("exec non-executable", access("secret", X_OK));
	CHECK("exec 0700 file", access("prog", X_OK));
}

static void fowner(void) {
	become(0);
	CHECK("chmod root file", chmod("secret", 0644));
	CHECK("utime root file", utimensat(AT_FDCWD, "secret", NULL, 0));
	CHECK("unlink in sticky dir", unlink("sticky/rootfile"));
	become(BIT(CAP_FOWNER_));
	CHECK("chmod root file with FOWNER", chmod("secret", 0600));
	CHECK("unlink in sticky dir with FOWNER", unlink("sticky/rootfile"));
}

static void chown_caps(void) {
	become(0);
	CHECK("chown own file to root", chown("mine", 0, -1));
	CHECK("chgrp own file to other group", chown("mine", -1, 5));
	become(BIT(CAP_CHOWN_));
	CHECK("chown with CHOWN", chown("mine", 0, 0));
	CHECK("chown root file with CHOWN", chown("secret", 1000, 1000));
}

static pid_t victim;

static void kill_caps(void) {
	become(0);
	CHECK("kill root process", kill(victim, 0));
	become(BIT(CAP_KILL_));
	CHECK("kill root process with KILL", kill(victim, 0));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("capfiles");
	chmod(dir, 0777);
	touch("f", 06755);
	mode("f", "init");
	writeone("f");
	mode("f", "root write 6755");
	CHECK("root chown -1 -1", chown("f", -1, -1));
	mode("f", "after chown -1 -1");
	chmod("f", 06755);
	chown("f", 0, 0);
	mode("f", "after chown 0 0");
	chmod("f", 02745);
	chown("f", 0, 0);
	mode("f", "after chown 0 0 sgid-noexec");
	chmod("f", 04755);
	int fd = open("f", O_WRONLY);
	CHECK("root ftruncate", ftruncate(fd, 0));
	close(fd);
	mode("f", "after root ftruncate");
	chown("f", 1000, 1000);
	chmod("f", 06777);
	child(user_writes);
	touch("g", 0666);
	chown("g", 1000, 1001);
	child(user_not_in_group);
	chmod("g", 02767);
	mode("g", "g");
	child(user_not_in_group);
	chown("f", 1000, 1001);
	chmod("f", 06777);
	chmod("g", 0666);
	child(user_fsetid);

	touch("secret", 0600);
	touch("prog", 0700);
	mkdir("closed", 0700);
	touch("closed/x", 0644);
	mkdir("sticky", 01777);
	touch("sticky/rootfile", 0644);
	touch("mine", 0644);
	chown("mine", 1000, 1000);
	child(dac);
	child(dac_read_search);
	unlink("closed/y");
	child(dac_override);
	child(fowner);
	mode("secret", "secret");
	child(chown_caps);

	int p[2];
	if (pipe(p) < 0) return 1;
	victim = fork();
	if (victim == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	child(kill_caps);
	close(p[1]);
	waitpid(victim, NULL, 0);
	cleanup();
	return 0;
}
