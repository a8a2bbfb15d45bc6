/* /dev/kmsg read without changing anything (the host's run reads the
 * host kernel's log): opening it to read needs CAP_SYSLOG with
 * dmesg_restrict (EPERM otherwise); a read gives one whole record,
 * "PRIO,SEQ,USEC,FLAG;TEXT\n", the next read the next sequence number;
 * a buffer too small for the record is EINVAL, and the record is gone
 * all the same (Linux 6.x); lseek takes only offset
 * 0 (ESPIPE) and SEEK_SET, SEEK_DATA, SEEK_END (EINVAL for SEEK_CUR);
 * after SEEK_END a non-blocking read is EAGAIN and poll reports
 * nothing, unless a new record came meanwhile; after SEEK_SET the next
 * record is the oldest again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char b[8192];

/* record reads one record and parses its sequence number: -1 and the
 * errno's name printed on failure, -2 if malformed. */
static long long record(int fd, const char *label) {
	int n = read(fd, b, sizeof b);
	if (n < 0) {
		printf("%s: %s\n", label, errno == EAGAIN ? "EAGAIN" : errno == EPIPE ? "EPIPE" : strerror(errno));
		return -1;
	}
	unsigned prio;
	unsigned long long seq, usec;
	char flag;
	int off = 0;
	if (sscanf(b, "%u,%llu,%llu,%c%n", &prio, &seq, &usec, &flag, &off) != 4 || off >= n || memchr(b, ';', n) == NULL ||
	    b[n - 1] != '\n') {
		printf("%s: malformed record %.*s\n", label, n, b);
		return -2;
	}
	return (long long)seq;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct stat st;
	if (stat("/dev/kmsg", &st) == 0)
		printf("/dev/kmsg: char %d, %u:%u, mode %o\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev),
		       st.st_mode & 07777);
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		printf("open: %s\n", errno == EPERM ? "EPERM" : strerror(errno));
		int w = open("/dev/kmsg", O_WRONLY);
		printf("open for writing: %s\n", w >= 0 ? "ok" : errno == EACCES ? "EACCES" : strerror(errno));
		return 0;
	}
	char small[4];
	int r = read(fd, small, sizeof small);
	printf("read into 4 bytes: %d %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : "");
	long long first = record(fd, "first");
	long long second = record(fd, "second");
	printf("first read a record: %s\n", first >= 0 ? "yes" : "no");
	printf("second is the next one: %s\n", second == first + 1 ? "yes" : "no");
	printf("lseek 1: %s\n", lseek(fd, 1, SEEK_SET) < 0 && errno == ESPIPE ? "ESPIPE" : "?");
	printf("lseek SEEK_CUR: %s\n", lseek(fd, 0, SEEK_CUR) < 0 && errno == EINVAL ? "EINVAL" : "?");
	printf("lseek SEEK_END: %lld\n", (long long)lseek(fd, 0, SEEK_END));
	struct pollfd p = {fd, POLLIN, 0};
	int pr = poll(&p, 1, 0);
	long long after = record(fd, "after SEEK_END");
	printf("after SEEK_END nothing, or a newer record: %s\n",
	       (pr == 0 && after == -1) || (pr == 1 && after > second) ? "yes" : "no");
	printf("lseek SEEK_SET: %lld\n", (long long)lseek(fd, 0, SEEK_SET));
	pr = poll(&p, 1, 0);
	printf("poll after SEEK_SET: %d %s\n", pr, p.revents == (POLLIN) ? "POLLIN" : "?");
	long long again = record(fd, "again");
	printf("SEEK_SET goes back to the record the short read took: %s\n", again + 1 == first ? "yes" : "no");
	printf("lseek SEEK_DATA: %lld\n", (long long)lseek(fd, 0, SEEK_DATA));
	close(fd);
	return 0;
}
