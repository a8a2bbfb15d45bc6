/* statmount, listmount and statx's mount ids: the unique id of a mount
 * (and its old one, as mountinfo shows it), what statmount reports of a
 * tmpfs mount, its buffer and request rules, listmount of a namespace, of
 * the mounts below one mount, paged and reversed, and detached mounts
 * that neither call sees until they are attached. Runs as root in a
 * private mount namespace. */
#include "mountapi_common.h"

struct req {
	uint32_t size, spare;
	uint64_t mnt_id, param, ns_id;
};

struct sm {
	uint32_t size, mnt_opts;
	uint64_t mask;
	uint32_t sb_dev_major, sb_dev_minor;
	uint64_t sb_magic;
	uint32_t sb_flags, fs_type;
	uint64_t mnt_id, mnt_parent_id;
	uint32_t mnt_id_old, mnt_parent_id_old;
	uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
	uint32_t mnt_root, mnt_point;
	uint64_t mnt_ns_id;
	uint32_t fs_subtype, sb_source, opt_num, opt_array, opt_sec_num, opt_sec_array;
	uint64_t supported_mask;
	uint32_t uidmap_num, uidmap, gidmap_num, gidmap;
	uint64_t spare[43];
	char str[];
};

#define SM_SB_BASIC 0x1
#define SM_MNT_BASIC 0x2
#define SM_PROPAGATE_FROM 0x4
#define SM_MNT_ROOT 0x8
#define SM_MNT_POINT 0x10
#define SM_FS_TYPE 0x20
#define SM_MNT_NS_ID 0x40
#define SM_FS_SUBTYPE 0x100
#define SM_SB_SOURCE 0x200
#define LSMT_ROOT (~0ULL)

static uint64_t buf[1024];

static long sm(uint64_t id, uint64_t mask, void *b, size_t n, unsigned fl) {
	struct req r = {24, 0, id, mask, 0};
	return syscall(NR_statmount, &r, b, n, fl);
}

static long lm(uint64_t id, uint64_t last, uint64_t *ids, size_t n, unsigned fl) {
	struct req r = {24, 0, id, last, 0};
	return syscall(NR_listmount, &r, ids, n, fl);
}

/* old_id is the mountinfo id of the mount on dir/rel. */
static long old_id(const char *rel) {
	char want[512], line[1024], point[512];
	long id, found = -1;
	snprintf(want, sizeof want, "%s%s%s", dir, *rel ? "/" : "", rel);
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f) return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%ld %*s %*s %*s %511s", &id, point) == 2 && !strcmp(point, want)) found = id;
	fclose(f);
	return found;
}

static int contains(uint64_t *ids, long n, uint64_t id) {
	for (long i = 0; i < n; i++)
		if (ids[i] == id) return 1;
	return 0;
}

static void body(void) {
	mkdir("mnt", 0755);
	CHECK("mount", mount("tmpfs", "mnt", "tmpfs", MS_NOSUID, "mode=700"));
	mkdir("mnt/sub", 0755);
	CHECK("mount sub", mount("kitesrc", "mnt/sub", "tmpfs", MS_NOATIME | MS_NOEXEC, NULL));

	struct kstatx sx;
	CHECK("statx unique", syscall(SYS_statx, AT_FDCWD, "mnt", 0, K_STATX_MNT_ID_UNIQUE, &sx));
	printf("mask unique %d old %d, above 2^31 %d\n", (sx.mask & K_STATX_MNT_ID_UNIQUE) != 0,
	       (sx.mask & K_STATX_MNT_ID) != 0, sx.mnt_id > 0x80000000ULL);
	CHECK("statx old", syscall(SYS_statx, AT_FDCWD, "mnt", 0, 0, &sx));
	printf("mask unique %d old %d, mountinfo's id %d\n", (sx.mask & K_STATX_MNT_ID_UNIQUE) != 0,
	       (sx.mask & K_STATX_MNT_ID) != 0, (long)sx.mnt_id == old_id("mnt"));
	uint64_t id = uniq(AT_FDCWD, "mnt"), sub = uniq(AT_FDCWD, "mnt/sub"), here = uniq(AT_FDCWD, ".");
	printf("ids differ %d %d, sub after mnt %d\n", id != sub, id != here, sub > id);

	struct sm *s = (struct sm *)buf;
	uint64_t all = SM_SB_BASIC | SM_MNT_BASIC | SM_PROPAGATE_FROM | SM_MNT_ROOT | SM_MNT_POINT | SM_FS_TYPE |
		       SM_MNT_NS_ID | SM_SB_SOURCE;
	CHECK("statmount", sm(id, all, buf, sizeof buf, 0));
	struct stat st;
	stat("mnt", &st);
	printf("mask %llx fs_type %s mnt_root %s mnt_point %s source %s\n", (unsigned long long)s->mask,
	       s->str + s->fs_type, s->str + s->mnt_root, s->str + s->mnt_point + strlen(dir), s->str + s->sb_source);
	printf("size %ld dev %d magic %llx sb_flags %x\n",
	       (long)(s->size - 512 - strlen(dir)), st.st_dev == makedev(s->sb_dev_major, s->sb_dev_minor),
	       (unsigned long long)s->sb_magic, s->sb_flags);
	printf("ids %d %d %d %d\n", s->mnt_id == id, s->mnt_parent_id == here, s->mnt_id_old == old_id("mnt"),
	       (long)s->mnt_parent_id_old == (long)mntid(AT_FDCWD, ".", 0));
	printf("attr %llx propagation %llx peer %llu master %llu from %llu ns id set %d\n",
	       (unsigned long long)s->mnt_attr, (unsigned long long)s->mnt_propagation,
	       (unsigned long long)s->mnt_peer_group, (unsigned long long)s->mnt_master,
	       (unsigned long long)s->propagate_from, s->mnt_ns_id != 0);
	uint64_t ns = s->mnt_ns_id;
	CHECK("statmount sub", sm(sub, all, buf, sizeof buf, 0));
	printf("mnt_point %s source %s attr %llx same ns %d parent %d\n", s->str + s->mnt_point + strlen(dir),
	       s->str + s->sb_source, (unsigned long long)s->mnt_attr, s->mnt_ns_id == ns, s->mnt_parent_id == id);
	CHECK("statmount subtype", sm(id, SM_FS_SUBTYPE, buf, sizeof buf, 0));
	printf("mask %llx size %u\n", (unsigned long long)s->mask, s->size);
	CHECK("statmount basic in 0 bytes", sm(id, SM_MNT_BASIC, buf, 0, 0));
	CHECK("statmount basic in 100 bytes", sm(id, SM_MNT_BASIC, buf, 100, 0));
	printf("size %u\n", s->size);
	CHECK("statmount string in 512 bytes", sm(id, SM_FS_TYPE, buf, 512, 0));
	CHECK("statmount string in 518 bytes", sm(id, SM_FS_TYPE, buf, 518, 0));
	CHECK("statmount string in 519 bytes", sm(id, SM_FS_TYPE, buf, 519, 0));
	printf("size %u\n", s->size);
	CHECK("statmount flags", sm(id, SM_MNT_BASIC, buf, sizeof buf, 1));
	CHECK("statmount small id", sm(5, SM_MNT_BASIC, buf, sizeof buf, 0));
	CHECK("statmount offset id", sm(0x80000000ULL, SM_MNT_BASIC, buf, sizeof buf, 0));
	CHECK("statmount LSMT_ROOT", sm(LSMT_ROOT, SM_MNT_BASIC, buf, sizeof buf, 0));
	CHECK("statmount bad buffer", sm(id, SM_MNT_BASIC, bad, sizeof buf, 0));
	CHECK("statmount bad request", syscall(NR_statmount, bad, buf, sizeof buf, 0));
	struct req r = {20, 0, id, SM_MNT_BASIC, 0};
	CHECK("statmount request size 20", syscall(NR_statmount, &r, buf, sizeof buf, 0));
	r.size = 4097;
	CHECK("statmount request size 4097", syscall(NR_statmount, &r, buf, sizeof buf, 0));
	r.size = 32;
	CHECK("statmount request size 32", syscall(NR_statmount, &r, buf, sizeof buf, 0));
	r.ns_id = ns;
	CHECK("statmount in its namespace", syscall(NR_statmount, &r, buf, sizeof buf, 0));
	r.ns_id = ~0ULL - 1;
	CHECK("statmount in no namespace", syscall(NR_statmount, &r, buf, sizeof buf, 0));
	r.ns_id = 0;
	r.spare = 1;
	CHECK("statmount spare set", syscall(NR_statmount, &r, buf, sizeof buf, 0));

	uint64_t ids[256], one[256];
	long n = lm(LSMT_ROOT, 0, ids, 256, 0);
	printf("listmount: some %d, mnt %d sub %d here %d\n", n > 0, contains(ids, n, id), contains(ids, n, sub),
	       contains(ids, n, here));
	int sorted = 1;
	for (long i = 1; i < n; i++) sorted &= ids[i] > ids[i - 1];
	printf("sorted %d\n", sorted);
	long k = 0;
	uint64_t last = 0;
	while (k < 256 && lm(LSMT_ROOT, last, one + k, 1, 0) == 1) last = one[k++];
	printf("paged: same %d\n", k == n && !memcmp(ids, one, n * sizeof *ids));
	long rn = lm(LSMT_ROOT, 0, one, 256, 1);
	int rev = rn == n;
	for (long i = 0; rev && i < n; i++) rev = one[i] == ids[n - 1 - i];
	printf("reversed: same %d\n", rev);
	rn = lm(LSMT_ROOT, sub, one, 256, 1);
	int below = rn > 0;
	for (long i = 0; i < rn; i++) below &= one[i] < sub;
	printf("listmount reverse from sub: all below %d, mnt first %d\n", below, one[0] == id);
	CHECK("listmount below mnt", lm(id, 0, one, 256, 0));
	printf("is sub %d\n", one[0] == sub);
	CHECK("listmount below mnt after sub", lm(id, sub, one, 256, 0));
	CHECK("listmount below sub", lm(sub, 0, one, 256, 0));
	CHECK("listmount none", lm(LSMT_ROOT, 0, one, 0, 0));
	CHECK("listmount flags", lm(LSMT_ROOT, 0, one, 1, 2));
	CHECK("listmount bad array", lm(LSMT_ROOT, 0, bad, 1, 0));
	CHECK("listmount too many", lm(LSMT_ROOT, 0, one, 2000000, 0));
	CHECK("listmount small id", lm(5, 0, one, 1, 0));
	CHECK("listmount offset id", lm(0x80000000ULL, 0, one, 1, 0));
	CHECK("listmount bad request", syscall(NR_listmount, bad, one, 1, 0));
	struct req lr = {32, 0, LSMT_ROOT, 0, ns};
	CHECK("listmount own namespace", syscall(NR_listmount, &lr, one, 1, 0));
	lr.ns_id = ~0ULL - 1;
	CHECK("listmount no namespace", syscall(NR_listmount, &lr, one, 1, 0));

	/* Detached mounts are in no namespace until attached. */
	int fd = k_fsopen("tmpfs", 0);
	k_fsconfig(fd, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	int m = k_fsmount(fd, 0, 0);
	uint64_t mid = uniq(m, "");
	CHECK("statmount detached", sm(mid, SM_MNT_BASIC, buf, sizeof buf, 0));
	CHECK("listmount detached", lm(mid, 0, one, 1, 0));
	n = lm(LSMT_ROOT, 0, ids, 256, 0);
	printf("listed detached %d\n", contains(ids, n, mid));
	mkdir("mnt/sub/d", 0755);
	CHECK("attach", k_move_mount(m, "", AT_FDCWD, "mnt/sub/d", K_MOVE_F_EMPTY_PATH));
	CHECK("statmount attached", sm(mid, SM_MNT_BASIC | SM_MNT_POINT, buf, sizeof buf, 0));
	printf("mnt_point %s parent %d\n", s->str + s->mnt_point + strlen(dir), s->mnt_parent_id == sub);
	n = lm(LSMT_ROOT, 0, ids, 256, 0);
	printf("listed attached %d\n", contains(ids, n, mid));
	CHECK("listmount below mnt", lm(id, 0, one, 256, 0));
	close(m);
	close(fd);

	CHECK("umount sub lazily", umount2("mnt/sub", MNT_DETACH));
	CHECK("statmount unmounted", sm(sub, SM_MNT_BASIC, buf, sizeof buf, 0));
	CHECK("listmount below unmounted", lm(sub, 0, one, 1, 0));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("mountapi_list");
	in_private_ns(body);
	cleanup();
	return 0;
}
