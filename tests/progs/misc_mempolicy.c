/* NUMA memory policy calls on a machine with one node: set_mempolicy and
 * get_mempolicy (modes, flags, node masks, MPOL_F_NODE, MPOL_F_ADDR,
 * MPOL_F_MEMS_ALLOWED), mbind on ranges (holes, alignment, what
 * get_mempolicy reports per address), set_mempolicy_home_node,
 * migrate_pages and move_pages (status of present, absent and unmapped
 * pages), with their errors. */
#include "misc_common.h"
#include <sys/mman.h>

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node 450
#endif

static long set_pol(int mode, unsigned long mask, unsigned long maxnode) {
	return syscall(SYS_set_mempolicy, mode, mask == ~0UL ? NULL : &mask, maxnode);
}

static void show(const char *label, unsigned long addr, unsigned long flags) {
	int mode = -1;
	unsigned long mask[2] = {0xdead, 0xbeef};
	errno = 0;
	long r = syscall(SYS_get_mempolicy, &mode, mask, 128, addr, flags);
	if (r < 0) printf("%s: -1 %s\n", label, errname(errno));
	else printf("%s: mode %#x mask %#lx %#lx\n", label, mode, mask[0], mask[1]);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	show("initial", 0, 0);
	show("mems allowed", 0, MPOL_F_MEMS_ALLOWED);
	CHECK("mems allowed with F_NODE", syscall(SYS_get_mempolicy, NULL, NULL, 0, 0, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE));
	CHECK("bad get flags", syscall(SYS_get_mempolicy, NULL, NULL, 0, 0, 8));
	CHECK("addr without F_ADDR", syscall(SYS_get_mempolicy, NULL, NULL, 0, 0x1000, 0));
	unsigned long m = 0;
	CHECK("mask with maxnode 0", syscall(SYS_get_mempolicy, NULL, &m, 0, 0, 0));
	CHECK("get to a bad address", syscall(SYS_get_mempolicy, bad, NULL, 0, 0, 0));
	CHECK("F_NODE under default", syscall(SYS_get_mempolicy, NULL, NULL, 0, 0, MPOL_F_NODE));

	CHECK("bind node 0", set_pol(MPOL_BIND, 1, 64));
	show("after bind", 0, 0);
	CHECK("bind node 1 (offline)", set_pol(MPOL_BIND, 2, 64));
	CHECK("bind empty", set_pol(MPOL_BIND, 0, 64));
	CHECK("bind with maxnode 1", set_pol(MPOL_BIND, 1, 1));
	CHECK("bind nodes 0 and 1", set_pol(MPOL_BIND, 3, 64));
	show("after bind 0,1", 0, 0);
	CHECK("interleave", set_pol(MPOL_INTERLEAVE, 1, 64));
	show("after interleave", 0, 0);
	int node = -1;
	CHECK("F_NODE under interleave", syscall(SYS_get_mempolicy, &node, NULL, 0, 0, MPOL_F_NODE));
	printf("next node %d\n", node);
	CHECK("preferred node 0", set_pol(MPOL_PREFERRED, 1, 64));
	show("after preferred", 0, 0);
	CHECK("preferred empty (local)", set_pol(MPOL_PREFERRED, ~0UL, 0));
	show("after preferred empty", 0, 0);
	CHECK("preferred empty static", set_pol(MPOL_PREFERRED | MPOL_F_STATIC_NODES, ~0UL, 0));
	CHECK("local", set_pol(MPOL_LOCAL, ~0UL, 0));
	show("after local", 0, 0);
	CHECK("local with nodes", set_pol(MPOL_LOCAL, 1, 64));
	CHECK("preferred many", set_pol(MPOL_PREFERRED_MANY, 1, 64));
	show("after preferred many", 0, 0);
	CHECK("bind static 0,2", set_pol(MPOL_BIND | MPOL_F_STATIC_NODES, 5, 64));
	show("after bind static", 0, 0);
	CHECK("bind relative node 3", set_pol(MPOL_BIND | MPOL_F_RELATIVE_NODES, 8, 64));
	show("after bind relative", 0, 0);
	CHECK("static and relative", set_pol(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, 1, 64));
	CHECK("bind numa balancing", set_pol(MPOL_BIND | MPOL_F_NUMA_BALANCING, 1, 64));
	show("after numa balancing", 0, 0);
	CHECK("interleave numa balancing", set_pol(MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, 1, 64));
	CHECK("mode 7", set_pol(7, 1, 64));
	CHECK("mode -1", set_pol(-1, 1, 64));
	CHECK("default with nodes", set_pol(MPOL_DEFAULT, 1, 64));
	CHECK("bad mask address", syscall(SYS_set_mempolicy, MPOL_BIND, bad, 64));
	CHECK("maxnode too big", set_pol(MPOL_BIND, 1, 4096 * 8 + 2));
	CHECK("default", set_pol(MPOL_DEFAULT, ~0UL, 0));
	show("after default", 0, 0);

	long pg = 4096;
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long one = 1;
	CHECK("mbind bind middle", syscall(SYS_mbind, p + pg, 2 * pg, MPOL_BIND, &one, 64, 0));
	show("addr first page", (unsigned long)p, MPOL_F_ADDR);
	show("addr second page", (unsigned long)p + pg, MPOL_F_ADDR);
	show("addr third page", (unsigned long)p + 2 * pg + 100, MPOL_F_ADDR);
	show("addr fourth page", (unsigned long)p + 3 * pg, MPOL_F_ADDR);
	p[pg] = 1;
	node = -1;
	CHECK("F_NODE|F_ADDR", syscall(SYS_get_mempolicy, &node, NULL, 0, p + pg, MPOL_F_NODE | MPOL_F_ADDR));
	printf("page node %d\n", node);
	CHECK("set home node", syscall(SYS_set_mempolicy_home_node, p + pg, 2 * pg, 0, 0));
	CHECK("home node 1", syscall(SYS_set_mempolicy_home_node, p + pg, 2 * pg, 1, 0));
	CHECK("home node flags", syscall(SYS_set_mempolicy_home_node, p + pg, 2 * pg, 0, 1));
	CHECK("home node unaligned", syscall(SYS_set_mempolicy_home_node, p + 1, pg, 0, 0));
	CHECK("mbind interleave all", syscall(SYS_mbind, p, 4 * pg, MPOL_INTERLEAVE, &one, 64, MPOL_MF_STRICT | MPOL_MF_MOVE));
	CHECK("home node over interleave", syscall(SYS_set_mempolicy_home_node, p, 4 * pg, 0, 0));
	CHECK("mbind default first", syscall(SYS_mbind, p, pg, MPOL_DEFAULT, NULL, 0, 0));
	show("first page reset", (unsigned long)p, MPOL_F_ADDR);
	show("second page kept", (unsigned long)p + pg, MPOL_F_ADDR);
	CHECK("mbind unaligned", syscall(SYS_mbind, p + 1, pg, MPOL_BIND, &one, 64, 0));
	CHECK("mbind zero length", syscall(SYS_mbind, p, 0, MPOL_BIND, &one, 64, 0));
	CHECK("mbind bad flags", syscall(SYS_mbind, p, pg, MPOL_BIND, &one, 64, 8));
	CHECK("mbind empty nodes", syscall(SYS_mbind, p, pg, MPOL_BIND, NULL, 0, 0));
	munmap(p + 2 * pg, pg);
	CHECK("mbind over a hole", syscall(SYS_mbind, p, 4 * pg, MPOL_BIND, &one, 64, 0));
	show("first page after hole error", (unsigned long)p, MPOL_F_ADDR);
	show("addr in the hole", (unsigned long)p + 2 * pg, MPOL_F_ADDR);
	CHECK("mbind unmapped", syscall(SYS_mbind, p + 2 * pg, pg, MPOL_BIND, &one, 64, 0));
	CHECK("home node over the hole", syscall(SYS_set_mempolicy_home_node, p + pg, 3 * pg, 0, 0));

	/* move_pages: status of a written page, an untouched one in its own
	 * mapping, and an unmapped one. */
	char *q = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *pages[3] = {p + pg, q, (void *)4096};
	int status[3] = {7, 7, 7};
	CHECK("move_pages stat", syscall(SYS_move_pages, 0, 3, pages, NULL, status, 0));
	printf("status %d %d %d\n", status[0], status[1], status[2]);
	int nodes[3] = {0, 0, 0};
	CHECK("move_pages to 0", syscall(SYS_move_pages, 0, 3, pages, nodes, status, MPOL_MF_MOVE));
	printf("status %d %d %d\n", status[0], status[1], status[2]);
	nodes[1] = 1;
	CHECK("move_pages to 1", syscall(SYS_move_pages, 0, 3, pages, nodes, status, MPOL_MF_MOVE));
	nodes[1] = -1;
	CHECK("move_pages to -1", syscall(SYS_move_pages, 0, 3, pages, nodes, status, MPOL_MF_MOVE));
	CHECK("move_pages bad flags", syscall(SYS_move_pages, 0, 3, pages, NULL, status, 1));
	CHECK("move_pages no such pid", syscall(SYS_move_pages, 999999, 3, pages, NULL, status, 0));
	CHECK("move_pages bad status", syscall(SYS_move_pages, 0, 3, pages, NULL, bad, 0));
	CHECK("move_pages bad pages", syscall(SYS_move_pages, 0, 3, bad, NULL, status, 0));
	CHECK("move_pages none", syscall(SYS_move_pages, 0, 0, pages, NULL, status, 0));

	unsigned long from = 1, to = 1, two = 2;
	CHECK("migrate_pages self", syscall(SYS_migrate_pages, 0, 64, &from, &to));
	CHECK("migrate_pages to node 1", syscall(SYS_migrate_pages, 0, 64, &from, &two));
	CHECK("migrate_pages no such pid", syscall(SYS_migrate_pages, 999999, 64, &from, &to));
	CHECK("migrate_pages bad mask", syscall(SYS_migrate_pages, 0, 64, bad, &to));
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534)) _exit(2);
		CHECK("user: migrate parent", syscall(SYS_migrate_pages, getppid(), 64, &from, &to));
		CHECK("user: move_pages parent", syscall(SYS_move_pages, getppid(), 1, pages, NULL, status, 0));
		CHECK("user: migrate to node 1", syscall(SYS_migrate_pages, 0, 64, &from, &two));
		_exit(0);
	}
	waitchild("user child", pid);
	return 0;
}
