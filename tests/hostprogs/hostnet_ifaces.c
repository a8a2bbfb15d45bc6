/* The host's interfaces as a program of the host network sees them
 * (run under kite with --net=host only: kite's own stack has lo
 * alone). lo in full through the interface ioctls (SIOCGIFINDEX,
 * SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFMETRIC, SIOCGIFTXQLEN,
 * SIOCGIFMAP, SIOCGIFHWADDR, and on AF_INET sockets SIOCGIFADDR,
 * SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFDSTADDR, which other sockets
 * refuse with ENOTTY). Other interfaces come and go on a busy host
 * (container engines make them) between the run on the host and the
 * one under kite, so of them the test prints only that netlink's view
 * (if_nameindex, getifaddrs) agrees with /proc/net/dev's names and
 * order, SIOCGIFNAME and SIOCGIFINDEX, SIOCGIFCONF, /proc/net/if_inet6
 * and /proc/net/route's interfaces, in one snapshot (taken again if an
 * interface changed meanwhile). */
#include "../progs/inet_common.h"
#include <ifaddrs.h>
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

/* A snapshot's lists, each as sorted or ordered lines. */
#define MAXL 512
struct list {
	char *l[MAXL];
	int n;
};

static void add(struct list *x, const char *fmt, const char *a, unsigned b) {
	if (x->n >= MAXL)
		return;
	char buf[256];
	snprintf(buf, sizeof buf, fmt, a, b);
	x->l[x->n++] = strdup(buf);
}

static void clearl(struct list *x) {
	for (int i = 0; i < x->n; i++)
		free(x->l[i]);
	x->n = 0;
}

static int same(struct list *a, struct list *b, int sort) {
	if (sort) {
		qsort(a->l, a->n, sizeof *a->l, cmp);
		qsort(b->l, b->n, sizeof *b->l, cmp);
	}
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->l[i], b->l[i]) != 0)
			return 0;
	return 1;
}

static int contains(struct list *x, const char *s) {
	for (int i = 0; i < x->n; i++)
		if (strcmp(x->l[i], s) == 0)
			return 1;
	return 0;
}

/* snapshot compares the views once; what differs is named in why. */
static int snapshot(int s, char *why, size_t wl, int *others) {
	struct list nl = {0}, dev = {0}, byioctl = {0}, conf = {0}, ga4 = {0}, in6 = {0}, ga6 = {0};
	int ok = 1;
	*others = 0;
	struct if_nameindex *ni = if_nameindex();
	for (struct if_nameindex *p = ni; p && p->if_index; p++) {
		add(&nl, "%s", p->if_name, 0);
		struct ifreq r;
		memset(&r, 0, sizeof r);
		r.ifr_ifindex = p->if_index;
		char n[IFNAMSIZ + 1] = "?";
		if (ioctl(s, SIOCGIFNAME, &r) == 0)
			snprintf(n, sizeof n, "%s", r.ifr_name);
		unsigned idx = req(s, SIOCGIFINDEX, p->if_name, &r) == 0 ? (unsigned)r.ifr_ifindex : 0;
		add(&byioctl, idx == p->if_index ? "%s" : "%s index differs", n, 0);
		if (strcmp(p->if_name, "lo") != 0)
			*others = 1;
	}
	if (ni)
		if_freenameindex(ni);
	FILE *f = fopen("/proc/net/dev", "r");
	char line[512];
	for (int n = 0; f && fgets(line, sizeof line, f); n++) {
		char *colon = strchr(line, ':');
		if (n < 2 || !colon)
			continue;
		*colon = 0;
		char *name = line;
		while (*name == ' ')
			name++;
		add(&dev, "%s", name, 0);
	}
	if (f)
		fclose(f);
	struct ifreq list[128];
	struct ifconf ic = {.ifc_len = sizeof list, .ifc_req = list};
	ioctl(s, SIOCGIFCONF, &ic);
	for (int i = 0; i < ic.ifc_len / (int)sizeof(struct ifreq); i++) {
		char b[32], e[64];
		inet_ntop(AF_INET, &((struct sockaddr_in *)&list[i].ifr_addr)->sin_addr, b, sizeof b);
		snprintf(e, sizeof e, "%s %s", list[i].ifr_name, b);
		add(&conf, "%s", e, 0);
	}
	struct ifaddrs *ifa;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
			if (!p->ifa_addr)
				continue;
			char b[64], e[128];
			if (p->ifa_addr->sa_family == AF_INET) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, b, sizeof b);
				snprintf(e, sizeof e, "%s %s", p->ifa_name, b);
				add(&ga4, "%s", e, 0);
			} else if (p->ifa_addr->sa_family == AF_INET6) {
				unsigned char *a = ((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr.s6_addr;
				int o = 0;
				for (int i = 0; i < 16; i++)
					o += snprintf(b + o, sizeof b - o, "%02x", a[i]);
				snprintf(e, sizeof e, "%s %s", b, p->ifa_name);
				add(&ga6, "%s", e, 0);
			}
		}
		freeifaddrs(ifa);
	}
	f = fopen("/proc/net/if_inet6", "r");
	while (f && fgets(line, sizeof line, f)) {
		char a[64], n[32];
		unsigned idx, plen, scope, fl;
		if (sscanf(line, "%63s %x %x %x %x %31s", a, &idx, &plen, &scope, &fl, n) == 6) {
			char e[128];
			snprintf(e, sizeof e, "%s %s", a, n);
			add(&in6, "%s", e, 0);
		}
	}
	if (f)
		fclose(f);
	int routes = 0, routeok = 1;
	f = fopen("/proc/net/route", "r");
	for (int n = 0; f && fgets(line, sizeof line, f); n++) {
		char name[64];
		if (n == 0 || sscanf(line, "%63s", name) != 1)
			continue;
		routes++;
		if (strcmp(name, "*") != 0 && !contains(&nl, name))
			routeok = 0;
	}
	if (f)
		fclose(f);
	why[0] = 0;
	if (!same(&nl, &dev, 0)) {
		ok = 0;
		snprintf(why + strlen(why), wl - strlen(why), " /proc/net/dev");
	}
	if (!same(&nl, &byioctl, 0)) {
		ok = 0;
		snprintf(why + strlen(why), wl - strlen(why), " SIOCGIFNAME/SIOCGIFINDEX");
	}
	if (!same(&conf, &ga4, 0)) {
		ok = 0;
		snprintf(why + strlen(why), wl - strlen(why), " SIOCGIFCONF");
	}
	if (!same(&in6, &ga6, 1)) {
		ok = 0;
		snprintf(why + strlen(why), wl - strlen(why), " if_inet6");
	}
	if (!routeok) {
		ok = 0;
		snprintf(why + strlen(why), wl - strlen(why), " route");
	}
	if (nl.n == 0 || conf.n == 0 || in6.n == 0) {
		ok = 0;
		snprintf(why + strlen(why), wl - strlen(why), " empty");
	}
	(void)routes;
	clearl(&nl), clearl(&dev), clearl(&byioctl), clearl(&conf), clearl(&ga4), clearl(&in6), clearl(&ga6);
	return ok;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int us = socket(AF_UNIX, SOCK_DGRAM, 0);

	/* SIOCGIFCONF's forms: the length asked with a NULL buffer is a
	 * whole number of entries; a buffer with room for one gets one */
	struct ifconf ic = {.ifc_len = 0, .ifc_buf = NULL};
	ICHECK("SIOCGIFCONF (NULL)", ioctl(s, SIOCGIFCONF, &ic));
	printf("  whole entries: %s\n", ic.ifc_len > 0 && ic.ifc_len % (int)sizeof(struct ifreq) == 0 ? "yes" : "no");
	struct ifreq one[2];
	ic.ifc_len = sizeof(struct ifreq) + 3;
	ic.ifc_req = one;
	ICHECK("SIOCGIFCONF (one)", ioctl(s, SIOCGIFCONF, &ic));
	printf("  length %d, first %s\n", ic.ifc_len, one[0].ifr_name);

	printf("interfaces:\n");
	iface(s, us, "lo");
	iface(s, us, "nosuchif0");

	char why[256];
	int others = 0, ok = 0;
	for (int i = 0; i < 20 && !ok; i++)
		ok = snapshot(s, why, sizeof why, &others);
	printf("netlink, /proc/net and the ioctls agree: %s%s\n", ok ? "yes" : "no:", ok ? "" : why);
	printf("an interface besides lo: %s\n", others ? "yes" : "no");
	return 0;
}
