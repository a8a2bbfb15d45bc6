/* seccomp(2) and prctl(PR_SET_SECCOMP): every argument and filter the
 * kernel rejects, and the queries. Filters are installed in children. */
#include "seccomp_common.h"

static void check(const char *what, struct sock_filter *f, unsigned short n)
{
	pid_t pid = fork();
	if (pid == 0) {
		report(what, install(0, f, n));
		_exit(0);
	}
	waitdesc(what, pid);
}

#define RET_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

int main(void)
{
	uint32_t acts[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
			    SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW,
			    0x00010000u, 0x7fff0001u, SECCOMP_RET_ERRNO | 5 };
	for (unsigned i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "action_avail(%#x)", acts[i]);
		report(what, sc(SECCOMP_GET_ACTION_AVAIL, 0, &acts[i]));
	}
	report("action_avail flags", sc(SECCOMP_GET_ACTION_AVAIL, 1, &acts[0]));
	report("action_avail NULL", sc(SECCOMP_GET_ACTION_AVAIL, 0, NULL));
	uint16_t sizes[3];
	report("notif_sizes", sc(SECCOMP_GET_NOTIF_SIZES, 0, sizes));
	printf("sizes %u %u %u\n", sizes[0], sizes[1], sizes[2]);
	report("notif_sizes flags", sc(SECCOMP_GET_NOTIF_SIZES, 1, sizes));
	report("notif_sizes NULL", sc(SECCOMP_GET_NOTIF_SIZES, 0, NULL));
	report("bad op", sc(99, 0, NULL));
	report("strict flags", sc(SECCOMP_SET_MODE_STRICT, 1, NULL));
	report("strict args", sc(SECCOMP_SET_MODE_STRICT, 0, sizes));
	report("filter unknown flag", sc(SECCOMP_SET_MODE_FILTER, 1 << 10, NULL));
	report("filter tsync+listener", sc(SECCOMP_SET_MODE_FILTER,
					   SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER, NULL));
	report("filter NULL", sc(SECCOMP_SET_MODE_FILTER, 0, NULL));
	report("prctl get", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	report("prctl set 0", prctl(PR_SET_SECCOMP, 0, 0, 0, 0));
	report("prctl set 3", prctl(PR_SET_SECCOMP, 3, 0, 0, 0));
	report("prctl filter NULL", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0));

	struct sock_filter ok[] = { RET_ALLOW };
	check("len 0", ok, 0);
	{
		struct sock_fprog p = { 1, (struct sock_filter *)8 };
		pid_t pid = fork();
		if (pid == 0) {
			report("bad insns pointer", sc(SECCOMP_SET_MODE_FILTER, 0, &p));
			_exit(0);
		}
		waitdesc("bad insns pointer", pid);
	}
	{
		static struct sock_filter big[4097];
		for (int i = 0; i < 4097; i++)
			big[i] = (struct sock_filter)RET_ALLOW;
		check("len 4096", big, 4096);
		check("len 4097", big, 4097);
	}
	struct sock_filter unknown_op[] = { BPF_STMT(0xffff, 0), RET_ALLOW };
	check("unknown opcode", unknown_op, 2);
	struct sock_filter no_ret[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0) };
	check("no return", no_ret, 1);
	struct sock_filter ld_out[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), RET_ALLOW };
	check("load past seccomp_data", ld_out, 2);
	struct sock_filter ld_last[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 60), RET_ALLOW };
	check("load last word", ld_last, 2);
	struct sock_filter ld_unal[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), RET_ALLOW };
	check("unaligned load", ld_unal, 2);
	struct sock_filter ld_h[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), RET_ALLOW };
	check("half-word load", ld_h, 2);
	struct sock_filter ld_b[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), RET_ALLOW };
	check("byte load", ld_b, 2);
	struct sock_filter ld_ind[] = { BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), RET_ALLOW };
	check("indirect load", ld_ind, 2);
	struct sock_filter ld_len[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
	check("len load", ld_len, 2);
	struct sock_filter mod[] = { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RET_ALLOW };
	check("mod", mod, 2);
	struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET_ALLOW };
	check("div by constant 0", div0, 2);
	struct sock_filter lsh32[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RET_ALLOW };
	check("shift by 32", lsh32, 2);
	struct sock_filter lsh31[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 31), RET_ALLOW };
	check("shift by 31", lsh31, 2);
	struct sock_filter mem_uninit[] = { BPF_STMT(BPF_LD | BPF_MEM, 3), RET_ALLOW };
	check("read unwritten slot", mem_uninit, 2);
	struct sock_filter mem_ok[] = { BPF_STMT(BPF_ST, 3), BPF_STMT(BPF_LDX | BPF_MEM, 3), RET_ALLOW };
	check("read written slot", mem_ok, 3);
	struct sock_filter mem_16[] = { BPF_STMT(BPF_ST, 16), RET_ALLOW };
	check("slot 16", mem_16, 2);
	struct sock_filter mem_path[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
		BPF_STMT(BPF_ST, 2),
		BPF_STMT(BPF_LD | BPF_MEM, 2),
		RET_ALLOW,
	};
	check("slot written on one path", mem_path, 5);
	struct sock_filter ja_out[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), RET_ALLOW };
	check("ja past end", ja_out, 2);
	struct sock_filter ja_ok[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), RET_ALLOW, RET_ALLOW };
	check("ja to last", ja_ok, 3);
	struct sock_filter jt_out[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET_ALLOW };
	check("jt past end", jt_out, 2);
	struct sock_filter jf_out[] = { BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 5), RET_ALLOW };
	check("jf past end", jf_out, 2);
	struct sock_filter tax[] = { BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_MISC | BPF_TXA, 0),
				     BPF_STMT(BPF_ALU | BPF_NEG, 0), RET_ALLOW };
	check("tax txa neg", tax, 4);
	struct sock_filter msh[] = { BPF_STMT(BPF_LDX | BPF_B | 0xa0, 0), RET_ALLOW };
	check("msh", msh, 2);

	/* No no_new_privs and no privilege: EACCES (checked after the length). */
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
			perror("setresuid");
			_exit(1);
		}
		report("unprivileged len 0", install(0, ok, 0));
		report("unprivileged", install(0, ok, 1));
		report("unprivileged strict", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
		report("nnp", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
		report("unprivileged with nnp", install(0, ok, 1));
		status("unprivileged");
		_exit(0);
	}
	waitdesc("unprivileged", pid);
	return 0;
}
