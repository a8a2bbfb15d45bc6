/* The host's interfaces as a program of the host network sees them
 * (run under kite with --net=host only: kite's own stack has lo
 * alone): the interface ioctls (SIOCGIFCONF, SIOCGIFINDEX, SIOCGIFNAME,
 * SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFMETRIC, SIOCGIFTXQLEN, SIOCGIFMAP,
 * SIOCGIFHWADDR, and on AF_INET sockets SIOCGIFADDR, SIOCGIFNETMASK,
 * SIOCGIFBRDADDR, SIOCGIFDSTADDR, which other sockets refuse with
 * ENOTTY), if_nameindex, and /proc/net/dev's interface names,
 * /proc/net/route and /proc/net/if_inet6 (sorted: Linux lists it in a
 * hash order with a random seed). Packet counters change as the host
 * runs and are left out. */
#include "../progs/inet_common.h"
#include <net/if.h>
#include <sys/ioctl.h>

#ifndef SIOCGIFTXQLEN
#define SIOCGIFTXQLEN 0x8942
#endif
#ifndef SIOCGIFMAP
#define SIOCGIFMAP 0x8970
#endif

static int req(int s, unsigned long cmd, const char *name, struct ifreq *r) {
	memset(r, 0, sizeof *r);
	snprintf(r->ifr_name, sizeof r->ifr_name, "%s", name);
	return ioctl(s, cmd, r);
}

static void addr(int s, unsigned long cmd, const char *label, const char *name) {
	struct ifreq r;
	if (req(s, cmd, name, &r) < 0) {
		printf("    %s: %s\n", label, ierrname(errno));
		return;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)&r.ifr_addr;
	char b[32];
	inet_ntop(AF_INET, &in->sin_addr, b, sizeof b);
	printf("    %s: family %d %s\n", label, in->sin_family, b);
}

static void iface(int s, int us, const char *name) {
	struct ifreq r;
	printf("  %s:\n", name);
	if (req(s, SIOCGIFINDEX, name, &r) < 0) {
		printf("    SIOCGIFINDEX: %s\n", ierrname(errno));
		return;
	}
	int idx = r.ifr_ifindex;
	printf("    index %d (if_nametoindex %u)\n", idx, if_nametoindex(name));
	memset(&r, 0, sizeof r);
	r.ifr_ifindex = idx;
	if (ioctl(s, SIOCGIFNAME, &r) < 0)
		printf("    SIOCGIFNAME: %s\n", ierrname(errno));
	else
		printf("    SIOCGIFNAME: %s\n", r.ifr_name);
	if (req(s, SIOCGIFFLAGS, name, &r) == 0)
		printf("    flags %#x\n", (unsigned short)r.ifr_flags);
	if (req(s, SIOCGIFMTU, name, &r) == 0)
		printf("    mtu %d\n", r.ifr_mtu);
	if (req(s, SIOCGIFMETRIC, name, &r) == 0)
		printf("    metric %d\n", r.ifr_metric);
	if (req(s, SIOCGIFTXQLEN, name, &r) == 0)
		printf("    txqlen %d\n", r.ifr_qlen);
	if (req(s, SIOCGIFMAP, name, &r) == 0)
		printf("    map %lu %lu %u %u %u %u\n", r.ifr_map.mem_start, r.ifr_map.mem_end, r.ifr_map.base_addr,
		       r.ifr_map.irq, r.ifr_map.dma, r.ifr_map.port);
	if (req(s, SIOCGIFHWADDR, name, &r) == 0) {
		printf("    hwaddr family %d", r.ifr_hwaddr.sa_family);
		for (int i = 0; i < 14; i++)
			printf("%s%02x", i ? ":" : " ", (unsigned char)r.ifr_hwaddr.sa_data[i]);
		printf("\n");
	}
	addr(s, SIOCGIFADDR, "addr", name);
	addr(s, SIOCGIFNETMASK, "netmask", name);
	addr(s, SIOCGIFBRDADDR, "broadcast", name);
	addr(s, SIOCGIFDSTADDR, "dstaddr", name);
	/* on an AF_UNIX socket */
	addr(us, SIOCGIFADDR, "addr (AF_UNIX socket)", name);
	printf("    flags (AF_UNIX socket): %s\n", req(us, SIOCGIFFLAGS, name, &r) < 0 ? ierrname(errno) : "ok");
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void cat(const char *path, int sorted) {
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: %s\n", path, ierrname(errno));
		return;
	}
	printf("%s:\n", path);
	char *lines[256];
	int n = 0;
	char line[512];
	while (n < 256 && fgets(line, sizeof line, f))
		lines[n++] = strdup(line);
	fclose(f);
	if (sorted)
		qsort(lines, n, sizeof *lines, cmp);
	for (int i = 0; i < n; i++) {
		fputs(lines[i], stdout);
		free(lines[i]);
	}
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int us = socket(AF_UNIX, SOCK_DGRAM, 0);

	/* SIOCGIFCONF: the length asked with a NULL buffer, then the list */
	struct ifconf ic = {.ifc_len = 0, .ifc_buf = NULL};
	ICHECK("SIOCGIFCONF (NULL)", ioctl(s, SIOCGIFCONF, &ic));
	printf("  length %d (%d entries)\n", ic.ifc_len, ic.ifc_len / (int)sizeof(struct ifreq));
	struct ifreq list[64];
	ic.ifc_len = sizeof list;
	ic.ifc_req = list;
	ICHECK("SIOCGIFCONF", ioctl(s, SIOCGIFCONF, &ic));
	for (int i = 0; i < ic.ifc_len / (int)sizeof(struct ifreq); i++) {
		char b[32];
		inet_ntop(AF_INET, &((struct sockaddr_in *)&list[i].ifr_addr)->sin_addr, b, sizeof b);
		printf("  %s %s\n", list[i].ifr_name, b);
	}
	/* room for one entry only */
	ic.ifc_len = sizeof(struct ifreq) + 3;
	ICHECK("SIOCGIFCONF (one)", ioctl(s, SIOCGIFCONF, &ic));
	printf("  length %d\n", ic.ifc_len);

	printf("interfaces:\n");
	struct if_nameindex *ni = if_nameindex();
	for (struct if_nameindex *p = ni; p && p->if_index; p++)
		iface(s, us, p->if_name);
	if_freenameindex(ni);
	iface(s, us, "nosuchif0");

	/* /proc/net/dev: the two header lines and the names */
	FILE *f = fopen("/proc/net/dev", "r");
	if (!f) {
		printf("/proc/net/dev: %s\n", ierrname(errno));
	} else {
		printf("/proc/net/dev:\n");
		char line[512];
		for (int n = 0; fgets(line, sizeof line, f); n++) {
			char *colon = strchr(line, ':');
			if (n < 2 || !colon) {
				fputs(line, stdout);
				continue;
			}
			*colon = 0;
			char *name = line;
			while (*name == ' ')
				name++;
			printf("  %s\n", name);
		}
		fclose(f);
	}
	cat("/proc/net/route", 0);
	cat("/proc/net/if_inet6", 1);
	return 0;
}
