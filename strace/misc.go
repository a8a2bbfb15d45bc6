package strace

import "golang.org/x/sys/unix"

// Decoders of fcntl and prctl results, prctl arguments and statfs.

// retFcntl prints F_GETFL and F_GETFD results with their flags, as
// strace's "0x8000 (flags O_RDONLY|O_LARGEFILE)".
func retFcntl(c *call, v uintptr) string {
	switch c.arg(1) {
	case unix.F_GETFL:
		return hex(uint64(v)) + " (flags " + openFlagsString(uint64(v)) + ")"
	case unix.F_GETFD:
		if v == 0 {
			return "0"
		}
		return hex(uint64(v)) + " (flags " + flags(uint64(v), fdFlags, "") + ")"
	}
	return dec(int64(v))
}

var dumpableValues = []flag{
	{0, "SUID_DUMP_DISABLE"},
	{1, "SUID_DUMP_USER"},
	{2, "SUID_DUMP_ROOT"},
}

// prctlArgs says how many of arg2..arg5 strace prints for an option, and
// how; options not listed print all four in hex.
func fPrctlArg(i int) func(*call, uintptr) string {
	return func(c *call, v uintptr) string {
		opt := uint64(uint32(c.arg(0)))
		switch opt {
		case unix.PR_GET_DUMPABLE, unix.PR_GET_NO_NEW_PRIVS, unix.PR_GET_SECCOMP, unix.PR_GET_KEEPCAPS:
			return skip
		case unix.PR_SET_NAME:
			if i == 1 {
				return c.str(v)
			}
			return skip
		case unix.PR_GET_NAME:
			if i == 1 {
				return fOutStr(c, v)
			}
			return skip
		case unix.PR_SET_PDEATHSIG:
			if i == 1 {
				return signalOrZero(uint64(v))
			}
			return skip
		case unix.PR_GET_PDEATHSIG, unix.PR_GET_CHILD_SUBREAPER:
			if i == 1 {
				return fOutInt(c, v)
			}
			return skip
		case unix.PR_SET_DUMPABLE:
			if i == 1 {
				return value(uint64(v), dumpableValues, udec)
			}
			return skip
		case unix.PR_SET_CHILD_SUBREAPER, unix.PR_SET_KEEPCAPS, unix.PR_CAPBSET_READ, unix.PR_CAPBSET_DROP:
			if i == 1 {
				return udec(uint64(v))
			}
			return skip
		case unix.PR_SET_NO_NEW_PRIVS:
			return udec(uint64(v))
		}
		return hex(uint64(v))
	}
}

// prctlGets says whether prctl's second argument is a result.
func prctlGets(c *call) bool {
	switch uint64(uint32(c.arg(0))) {
	case unix.PR_GET_NAME, unix.PR_GET_PDEATHSIG, unix.PR_GET_CHILD_SUBREAPER:
		return true
	}
	return false
}

func retPrctl(c *call, v uintptr) string {
	if uint64(uint32(c.arg(0))) == unix.PR_GET_DUMPABLE {
		return dec(int64(v)) + " (" + value(uint64(v), dumpableValues, udec) + ")"
	}
	return dec(int64(v))
}

var fsMagics = []flag{
	{0xef53, "EXT2_SUPER_MAGIC"},
	{0x01021994, "TMPFS_MAGIC"},
	{0x9fa0, "PROC_SUPER_MAGIC"},
	{0x62656572, "SYSFS_MAGIC"},
	{0x794c7630, "OVERLAYFS_SUPER_MAGIC"},
	{0x1cd1, "DEVPTS_SUPER_MAGIC"},
	{0x9123683e, "BTRFS_SUPER_MAGIC"},
	{0x58465342, "XFS_SUPER_MAGIC"},
	{0x4d44, "MSDOS_SUPER_MAGIC"},
	{0x63677270, "CGROUP2_SUPER_MAGIC"},
	{0x27e0eb, "CGROUP_SUPER_MAGIC"},
	{0x6969, "NFS_SUPER_MAGIC"},
	{0x65735546, "FUSE_SUPER_MAGIC"},
	{0x73717368, "SQUASHFS_MAGIC"},
	{0x858458f6, "RAMFS_MAGIC"},
	{0x09041934, "ANON_INODE_FS_MAGIC"},
	{0x534f434b, "SOCKFS_MAGIC"},
	{0x50495045, "PIPEFS_MAGIC"},
	{0x01021997, "V9FS_MAGIC"},
	{0x9660, "ISOFS_SUPER_MAGIC"},
	{0x2011bab0, "EXFAT_SUPER_MAGIC"},
}

var statfsFlags = []flag{
	{unix.ST_RDONLY, "ST_RDONLY"},
	{unix.ST_NOSUID, "ST_NOSUID"},
	{unix.ST_NODEV, "ST_NODEV"},
	{unix.ST_NOEXEC, "ST_NOEXEC"},
	{unix.ST_SYNCHRONOUS, "ST_SYNCHRONOUS"},
	{0x20, "ST_VALID"},
	{unix.ST_MANDLOCK, "ST_MANDLOCK"},
	{unix.ST_NOATIME, "ST_NOATIME"},
	{unix.ST_NODIRATIME, "ST_NODIRATIME"},
	{unix.ST_RELATIME, "ST_RELATIME"},
	{0x2000, "ST_NOSYMFOLLOW"},
}

// fOutStatfs prints the struct statfs the call fills, in full as strace
// does.
func fOutStatfs(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	b, ok := c.readBytes(v, 88)
	if !ok {
		return ptr(v)
	}
	u := func(off int) string { return udec(le.Uint64(b[off:])) }
	return "{f_type=" + value(le.Uint64(b), fsMagics, hex) +
		", f_bsize=" + u(8) + ", f_blocks=" + u(16) + ", f_bfree=" + u(24) + ", f_bavail=" + u(32) +
		", f_files=" + u(40) + ", f_ffree=" + u(48) +
		", f_fsid={val=[" + hex(uint64(le.Uint32(b[56:]))) + ", " + hex(uint64(le.Uint32(b[60:]))) + "]}" +
		", f_namelen=" + u(64) + ", f_frsize=" + u(72) + ", f_flags=" + flags(le.Uint64(b[80:]), statfsFlags, "0") + "}"
}
