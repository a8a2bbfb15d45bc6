/* netlink and interfaces: getifaddrs (glibc and musl ask NETLINK_ROUTE
 * for links and addresses) shows lo with 127.0.0.1/8 and ::1/128,
 * if_nametoindex and if_indextoname, RTM_GETLINK for lo by name, a
 * NETLINK_KOBJECT_UEVENT socket that stays quiet, and socket(2)'s errors
 * for netlink. */
#include "inet_common.h"
#include <ifaddrs.h>
#include <net/if.h>
#if __has_include(<linux/rtnetlink.h>)
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#else
/* musl has no kernel headers: the few netlink definitions used here. */
#define NETLINK_ROUTE 0
#define NETLINK_KOBJECT_UEVENT 15
#define NLM_F_REQUEST 1
#define NLMSG_ERROR 2
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define IFLA_MTU 4
#define IFLA_IFNAME 3
struct sockaddr_nl { unsigned short nl_family, nl_pad; unsigned nl_pid, nl_groups; };
struct nlmsghdr { unsigned nlmsg_len; unsigned short nlmsg_type, nlmsg_flags; unsigned nlmsg_seq, nlmsg_pid; };
struct nlmsgerr { int error; struct nlmsghdr msg; };
struct ifinfomsg { unsigned char ifi_family, __ifi_pad; unsigned short ifi_type; int ifi_index; unsigned ifi_flags, ifi_change; };
struct rtattr { unsigned short rta_len, rta_type; };
#define NLMSG_ALIGN(len) (((len) + 3) & ~3)
#define NLMSG_HDRLEN ((int)NLMSG_ALIGN(sizeof(struct nlmsghdr)))
#define NLMSG_LENGTH(len) ((len) + NLMSG_HDRLEN)
#define NLMSG_DATA(nlh) ((void *)(((char *)nlh) + NLMSG_HDRLEN))
#define NLMSG_OK(nlh, len) ((len) >= (int)sizeof(struct nlmsghdr) && (nlh)->nlmsg_len >= sizeof(struct nlmsghdr) && (nlh)->nlmsg_len <= (unsigned)(len))
#define RTA_ALIGN(len) (((len) + 3) & ~3)
#define RTA_LENGTH(len) (RTA_ALIGN(sizeof(struct rtattr)) + (len))
#define RTA_DATA(rta) ((void *)(((char *)(rta)) + RTA_LENGTH(0)))
#define RTA_OK(rta, len) ((len) >= (int)sizeof(struct rtattr) && (rta)->rta_len >= sizeof(struct rtattr) && (rta)->rta_len <= (len))
#define RTA_NEXT(rta, attrlen) ((attrlen) -= RTA_ALIGN((rta)->rta_len), (struct rtattr *)(((char *)(rta)) + RTA_ALIGN((rta)->rta_len)))
#define IFLA_RTA(r) ((struct rtattr *)(((char *)(r)) + NLMSG_ALIGN(sizeof(struct ifinfomsg))))
#define IFLA_PAYLOAD(n) ((int)((n)->nlmsg_len - NLMSG_LENGTH(sizeof(struct ifinfomsg))))
#endif

int main(void) {
	struct ifaddrs *ifa;
	ICHECK("getifaddrs", getifaddrs(&ifa));
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
		if (strcmp(p->ifa_name, "lo") != 0)
			continue;
		int fam = p->ifa_addr ? p->ifa_addr->sa_family : -1;
		char a[64] = "-", m[64] = "-";
		if (fam == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, a, sizeof a);
			inet_ntop(AF_INET, &((struct sockaddr_in *)p->ifa_netmask)->sin_addr, m, sizeof m);
		} else if (fam == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, a, sizeof a);
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)p->ifa_netmask)->sin6_addr, m, sizeof m);
		}
		printf("lo family %s addr %s mask %s flags up %d loopback %d running %d\n",
		       fam == AF_INET ? "inet" : fam == AF_INET6 ? "inet6" : fam == AF_PACKET ? "packet" : "?", a, m,
		       !!(p->ifa_flags & IFF_UP), !!(p->ifa_flags & IFF_LOOPBACK), !!(p->ifa_flags & IFF_RUNNING));
	}
	freeifaddrs(ifa);
	printf("if_nametoindex(lo) %u\n", if_nametoindex("lo"));
	char name[IF_NAMESIZE] = "";
	printf("if_indextoname(1) %s\n", if_indextoname(1, name) ? name : "NULL");

	/* interface ioctls on an AF_INET socket */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	ICHECK("SIOCGIFFLAGS", ioctl(fd, SIOCGIFFLAGS, &ifr));
	printf("flags up %d loopback %d\n", !!(ifr.ifr_flags & IFF_UP), !!(ifr.ifr_flags & IFF_LOOPBACK));
	ICHECK("SIOCGIFMTU", ioctl(fd, SIOCGIFMTU, &ifr) < 0 ? -1 : ifr.ifr_mtu);
	ICHECK("SIOCGIFINDEX", ioctl(fd, SIOCGIFINDEX, &ifr) < 0 ? -1 : ifr.ifr_ifindex);
	ICHECK("SIOCGIFADDR", ioctl(fd, SIOCGIFADDR, &ifr));
	printf("addr %s\n", inet_ntoa(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr));
	ICHECK("SIOCGIFNETMASK", ioctl(fd, SIOCGIFNETMASK, &ifr));
	printf("netmask %s\n", inet_ntoa(((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr));
	ICHECK("SIOCGIFHWADDR", ioctl(fd, SIOCGIFHWADDR, &ifr));
	printf("hw family %d\n", ifr.ifr_hwaddr.sa_family);
	ICHECK("SIOCGIFBRDADDR", ioctl(fd, SIOCGIFBRDADDR, &ifr));
	printf("broadcast %s\n", inet_ntoa(((struct sockaddr_in *)&ifr.ifr_broadaddr)->sin_addr));
	ICHECK("SIOCGIFDSTADDR", ioctl(fd, SIOCGIFDSTADDR, &ifr));
	printf("dstaddr %s\n", inet_ntoa(((struct sockaddr_in *)&ifr.ifr_dstaddr)->sin_addr));
	ICHECK("SIOCGIFMETRIC", ioctl(fd, SIOCGIFMETRIC, &ifr) < 0 ? -1 : ifr.ifr_metric);
	ICHECK("SIOCGIFTXQLEN", ioctl(fd, 0x8942 /* SIOCGIFTXQLEN */, &ifr) < 0 ? -1 : ifr.ifr_qlen);
	ICHECK("SIOCGIFMAP", ioctl(fd, 0x8970 /* SIOCGIFMAP */, &ifr) < 0 ? -1 : (long)ifr.ifr_map.mem_start + ifr.ifr_map.irq);
	/* an alias label that does not exist: the device is found, the
	 * address is not */
	strcpy(ifr.ifr_name, "lo:9");
	ICHECK("SIOCGIFADDR lo:9", ioctl(fd, SIOCGIFADDR, &ifr));
	ICHECK("SIOCGIFFLAGS lo:9", ioctl(fd, SIOCGIFFLAGS, &ifr));
	strcpy(ifr.ifr_name, "lo");
	/* the address ioctls are AF_INET sockets' */
	int ufd = socket(AF_UNIX, SOCK_DGRAM, 0), i6fd = socket(AF_INET6, SOCK_DGRAM, 0);
	ICHECK("SIOCGIFADDR on AF_UNIX", ioctl(ufd, SIOCGIFADDR, &ifr));
	ICHECK("SIOCGIFNETMASK on AF_INET6", ioctl(i6fd, SIOCGIFNETMASK, &ifr));
	ICHECK("SIOCGIFMTU on AF_UNIX", ioctl(ufd, SIOCGIFMTU, &ifr) < 0 ? -1 : ifr.ifr_mtu);
	close(ufd);
	close(i6fd);
	strcpy(ifr.ifr_name, "lo");
	strcpy(ifr.ifr_name, "nosuch0");
	ICHECK("SIOCGIFFLAGS missing", ioctl(fd, SIOCGIFFLAGS, &ifr));
	struct ifreq reqs[16];
	struct ifconf ifc = {.ifc_len = sizeof reqs, .ifc_req = reqs};
	ICHECK("SIOCGIFCONF", ioctl(fd, SIOCGIFCONF, &ifc));
	for (int i = 0; i < ifc.ifc_len / (int)sizeof reqs[0]; i++)
		if (strcmp(reqs[i].ifr_name, "lo") == 0)
			printf("ifconf lo %s\n", inet_ntoa(((struct sockaddr_in *)&reqs[i].ifr_addr)->sin_addr));
	close(fd);

	/* RTM_GETLINK for lo by name */
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	ICHECK("bind", bind(s, (struct sockaddr *)&sa, sizeof sa));
	socklen_t sl = sizeof sa;
	getsockname(s, (struct sockaddr *)&sa, &sl);
	printf("nl_pid is our pid %d len %d\n", sa.nl_pid == (unsigned)getpid(), sl);
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		char attrs[64];
	} req = {0};
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 7;
	struct rtattr *rta = (struct rtattr *)req.attrs;
	rta->rta_type = IFLA_IFNAME;
	rta->rta_len = RTA_LENGTH(3);
	memcpy(RTA_DATA(rta), "lo", 3);
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.i) + RTA_ALIGN(rta->rta_len);
	ICHECK("send RTM_GETLINK", send(s, &req, req.h.nlmsg_len, 0) > 0);
	char buf[8192];
	long n = recv(s, buf, sizeof buf, 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	printf("reply ok %d type NEWLINK %d seq %u\n", NLMSG_OK(h, n), h->nlmsg_type == RTM_NEWLINK, h->nlmsg_seq);
	struct ifinfomsg *ii = NLMSG_DATA(h);
	printf("index %d loopback %d\n", ii->ifi_index, !!(ii->ifi_flags & IFF_LOOPBACK));
	int alen = IFLA_PAYLOAD(h);
	for (rta = IFLA_RTA(ii); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		if (rta->rta_type == IFLA_IFNAME)
			printf("IFLA_IFNAME %s\n", (char *)RTA_DATA(rta));
		if (rta->rta_type == IFLA_MTU)
			printf("IFLA_MTU %u\n", *(unsigned *)RTA_DATA(rta));
	}
	/* a name that does not exist */
	memcpy(RTA_DATA((struct rtattr *)req.attrs), "zz", 3);
	req.h.nlmsg_seq = 8;
	send(s, &req, req.h.nlmsg_len, 0);
	n = recv(s, buf, sizeof buf, 0);
	printf("missing: type ERROR %d error %s\n", h->nlmsg_type == NLMSG_ERROR,
	       ierrname(-((struct nlmsgerr *)NLMSG_DATA(h))->error));
	ICHECK("recv nothing left", recv(s, buf, sizeof buf, MSG_DONTWAIT));
	close(s);

	s = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT);
	printf("uevent socket ok %d\n", s >= 0);
	sa.nl_pid = 0;
	sa.nl_groups = 1;
	ICHECK("uevent bind", bind(s, (struct sockaddr *)&sa, sizeof sa));
	ICHECK("uevent recv", recv(s, buf, sizeof buf, MSG_DONTWAIT));
	close(s);
	ICHECK("socket(AF_NETLINK, 99)", socket(AF_NETLINK, SOCK_RAW, 99));
	ICHECK("socket(AF_NETLINK, SOCK_STREAM)", socket(AF_NETLINK, SOCK_STREAM, 0));
	return 0;
}
