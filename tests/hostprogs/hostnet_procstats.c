/* The host network namespace's counters as a program of the host
 * network reads them: /proc/net/snmp, netstat, snmp6, sockstat and
 * sockstat6 (run under kite with --net=host only). The counters move
 * with the whole host's traffic, so the test prints the files' shape
 * (their sections and field names, except the ICMP message types,
 * whose fields appear as each type is first seen) and checks what is
 * certain: every value parses as a number, no counter goes down
 * between two reads (Tcp CurrEstab is a gauge), the test's own UDP
 * datagrams over 127.0.0.1 and ::1 are counted at least, and its own
 * sockets are in use. */
#include "../progs/inet_common.h"
#include <ctype.h>
#include <regex.h>

#define MAXF 2048

struct field {
	char name[80];
	long long v;
	int gauge; /* may go down: socket counts and memory */
};

struct stats {
	int n;
	struct field f[MAXF];
};

static struct stats snap_a, snap_b;

static int isnum(const char *s, long long *v) {
	char *end;
	if (!*s)
		return 0;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno == 0 && *end == 0;
}

static int is_type_field(const char *name) {
	regex_t re;
	regcomp(&re, "^(Icmp6)?(In|Out)Type[0-9]+$", REG_EXTENDED | REG_NOSUB);
	int r = regexec(&re, name, 0, NULL, 0) == 0;
	regfree(&re);
	return r;
}

static void add(struct stats *st, const char *prefix, const char *name, long long v, int gauge) {
	if (st->n >= MAXF)
		return;
	snprintf(st->f[st->n].name, sizeof st->f[st->n].name, "%s%s", prefix, name);
	st->f[st->n].v = v;
	/* Tcp CurrEstab counts the established connections. */
	st->f[st->n].gauge = gauge || strcmp(st->f[st->n].name, "Tcp.CurrEstab") == 0;
	st->n++;
}

static char *slurp(const char *path) {
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: %s\n", path, ierrname(errno));
		return NULL;
	}
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return strdup(buf);
}

/* pairs reads a file of "Section: names" lines each followed by
 * "Section: values" (snmp, netstat). */
static void pairs(const char *path, struct stats *st, int showall) {
	char *text = slurp(path);
	if (!text)
		return;
	char *save, *line = strtok_r(text, "\n", &save);
	while (line) {
		char *vals = strtok_r(NULL, "\n", &save);
		if (!vals) {
			printf("%s: names without values: %.20s\n", path, line);
			break;
		}
		char *colon = strchr(line, ':');
		size_t plen = colon ? (size_t)(colon - line) : 0;
		if (!colon || strncmp(line, vals, plen + 1) != 0) {
			printf("%s: lines do not pair: %.20s / %.20s\n", path, line, vals);
			break;
		}
		char prefix[64];
		snprintf(prefix, sizeof prefix, "%.*s.", (int)plen, line);
		/* IcmpMsg's fields are the types seen so far, and a line
		 * pair holds 16 of them: whether and how often it is there
		 * changes. */
		int icmpmsg = strcmp(prefix, "IcmpMsg.") == 0;
		int show = showall && !icmpmsg;
		if (show)
			printf("%s %.*s:", path, (int)plen, line);
		char *hs, *vs;
		char *h = strtok_r(colon + 1, " ", &hs);
		char *x = strtok_r(vals + plen + 1, " ", &vs);
		int types = 0, bad = 0, count = 0;
		for (; h && x; h = strtok_r(NULL, " ", &hs), x = strtok_r(NULL, " ", &vs)) {
			long long v;
			if (!isnum(x, &v))
				bad++;
			add(st, prefix, h, v, 0);
			count++;
			if (is_type_field(h))
				types++;
			else if (show)
				printf(" %s", h);
		}
		if (h || x)
			bad++;
		if (icmpmsg) {
			if (types != count)
				printf("%s IcmpMsg has fields other than types\n", path);
			if (bad)
				printf("%s IcmpMsg values do not parse\n", path);
		}
		if (show) {
			printf("\n  %s, values %s\n", count ? "fields" : "no fields", bad ? "do not parse" : "parse");
		}
		line = strtok_r(NULL, "\n", &save);
	}
	free(text);
}

/* snmp6 reads "Name value" lines. */
static void snmp6(struct stats *st, int show) {
	char *text = slurp("/proc/net/snmp6");
	if (!text)
		return;
	int bad = 0;
	char last[16] = "";
	char *save;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[80], val[40], extra[8];
		long long v;
		if (sscanf(line, "%79s %39s %7s", name, val, extra) != 2 || !isnum(val, &v)) {
			bad++;
			continue;
		}
		add(st, "", name, v, 0);
		if (!show)
			continue;
		/* Icmp6InTypeN and Icmp6OutTypeN are there once type N has
		 * been seen. */
		if (is_type_field(name))
			continue;
		/* One output line per group (Ip6, Icmp6, Udp6, UdpLite6). */
		const char *six = strchr(name, '6');
		size_t g = six ? (size_t)(six - name) + 1 : 0;
		char group[16];
		snprintf(group, sizeof group, "%.*s", (int)g, name);
		if (strcmp(group, last) != 0) {
			printf("%s/proc/net/snmp6 %s:", last[0] ? "\n" : "", group);
			snprintf(last, sizeof last, "%s", group);
		}
		printf(" %s", name + g);
	}
	if (show)
		printf("\n  values %s\n", bad ? "do not parse" : "parse");
	free(text);
}

/* sockstat reads "PROTO: key value key value..." lines. */
static void sockstat(const char *path, struct stats *st, int show) {
	char *text = slurp(path);
	if (!text)
		return;
	char *save;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon) {
			printf("%s: no section: %.20s\n", path, line);
			continue;
		}
		char prefix[64];
		snprintf(prefix, sizeof prefix, "%.*s.", (int)(colon - line), line);
		if (show)
			printf("%s %.*s:", path, (int)(colon - line), line);
		int bad = 0;
		char *ts, *k = strtok_r(colon + 1, " ", &ts);
		while (k) {
			char *x = strtok_r(NULL, " ", &ts);
			long long v;
			if (!x || !isnum(x, &v)) {
				bad++;
				break;
			}
			add(st, prefix, k, v, 1);
			if (show)
				printf(" %s", k);
			k = strtok_r(NULL, " ", &ts);
		}
		if (show)
			printf(" (values %s)\n", bad ? "do not parse" : "parse");
	}
	free(text);
}

static void take(struct stats *st, int show) {
	st->n = 0;
	pairs("/proc/net/snmp", st, show);
	pairs("/proc/net/netstat", st, show);
	snmp6(st, show);
	sockstat("/proc/net/sockstat", st, show);
	sockstat("/proc/net/sockstat6", st, show);
}

/* get finds a field's value; it says whether the field is there. */
static int get(const struct stats *st, const char *name, long long *v) {
	for (int i = 0; i < st->n; i++)
		if (strcmp(st->f[i].name, name) == 0) {
			*v = st->f[i].v;
			return 1;
		}
	return 0;
}

/* udp sends n datagrams over fam's loopback from a new socket to r
 * and receives them. */
static void udp(int r, int fam, int n) {
	int s = connect_to(fam, SOCK_DGRAM, local_port(r));
	char buf[16];
	for (int i = 0; i < n; i++)
		if (send(s, "x", 1, 0) != 1)
			printf("send: %s\n", ierrname(errno));
	for (int i = 0; i < n; i++)
		if (recv(r, buf, sizeof buf, 0) != 1)
			printf("recv: %s\n", ierrname(errno));
	close(s);
}

static void grew(const char *name, long long by) {
	long long a, b;
	int ok = get(&snap_a, name, &a) && get(&snap_b, name, &b) && b >= a + by;
	printf("%s grew by %lld at least: %s\n", name, by, ok ? "yes" : "no");
}

static void atleast(const char *name, long long n) {
	long long v;
	printf("%s at least %lld: %s\n", name, n, get(&snap_b, name, &v) && v >= n ? "yes" : "no");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int l = listener(AF_INET, SOCK_STREAM);
	int c = connect_to(AF_INET, SOCK_STREAM, local_port(l));
	int a = accept(l, NULL, NULL);
	int u4 = listener(AF_INET, SOCK_DGRAM);
	int u6 = listener(AF_INET6, SOCK_DGRAM);
	if (a < 0 || u4 < 0 || u6 < 0)
		printf("setup failed\n");

	take(&snap_a, 1);
	udp(u4, AF_INET, 3);
	udp(u6, AF_INET6, 2);
	take(&snap_b, 0);

	int down = 0, lost = 0;
	for (int i = 0; i < snap_a.n; i++) {
		long long b;
		if (!get(&snap_b, snap_a.f[i].name, &b)) {
			printf("%s is gone\n", snap_a.f[i].name);
			lost++;
		} else if (!snap_a.f[i].gauge && b < snap_a.f[i].v) {
			printf("%s went down\n", snap_a.f[i].name);
			down++;
		}
	}
	printf("counters that went down: %d, fields gone: %d\n", down, lost);
	grew("Udp.OutDatagrams", 3);
	grew("Udp.InDatagrams", 3);
	grew("Ip.OutRequests", 3);
	grew("Udp6OutDatagrams", 2);
	grew("Udp6InDatagrams", 2);
	grew("Ip6OutRequests", 2);
	atleast("sockets.used", 5);
	atleast("TCP.inuse", 3);
	atleast("UDP.inuse", 1);
	atleast("UDP6.inuse", 1);
	close(c);
	close(a);
	close(l);
	close(u4);
	close(u6);
	return 0;
}
