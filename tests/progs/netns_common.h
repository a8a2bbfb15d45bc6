/* lo_up brings up the loopback interface of a new network namespace
 * (shared by the inet_* tests that unshare CLONE_NEWNET). */
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void lo_up(void) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	ioctl(s, SIOCGIFFLAGS, &r);
	r.ifr_flags |= IFF_UP;
	ioctl(s, SIOCSIFFLAGS, &r);
	close(s);
}
