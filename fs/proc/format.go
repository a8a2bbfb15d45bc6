package proc

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// userHZ is USER_HZ, the unit of the times in /proc/PID/stat.
const userHZ = 100

func ticks(d time.Duration) uint64 {
	if d < 0 {
		return 0
	}
	return uint64(d / (time.Second / userHZ))
}

// formatStat is /proc/PID/stat (fs/proc/array.c's do_task_stat): 52
// fields; those kite does not keep are 0 as Linux prints them for a task
// without them.
func formatStat(s *TaskStat) []byte {
	var b bytes.Buffer
	// Linux shows the low 31 bits of the signal sets here.
	const sigBits = 0x7fffffff
	var vsize, rss uint64
	if s.HasMM {
		vsize, rss = s.VmSize, s.VmRSS/4096
	}
	fmt.Fprintf(&b, "%d (%s) %c %d %d %d %d %d 0 0 0 0 0 %d %d %d %d %d %d %d 0 %d %d %d %d",
		s.PID, s.Comm, s.State, s.PPID, s.PGRP, s.Session, s.TTYNr, s.TPGID,
		ticks(s.UTime), ticks(s.STime), ticks(s.CUTime), ticks(s.CSTime),
		20+s.Nice, s.Nice, s.NumThreads, ticks(s.Start), vsize, rss, ^uint64(0))
	// startcode endcode startstack kstkesp kstkeip
	b.WriteString(" 0 0 0 0 0")
	fmt.Fprintf(&b, " %d %d %d %d", s.SigPnd&sigBits, s.SigBlk&sigBits, s.SigIgn&sigBits, s.SigCgt&sigBits)
	// wchan nswap cnswap
	b.WriteString(" 0 0 0")
	// exit_signal processor rt_priority policy blkio gtime cgtime
	// start_data end_data start_brk
	fmt.Fprintf(&b, " %d 0 0 0 0 0 0 0 0 0", s.ExitSignal)
	fmt.Fprintf(&b, " %d %d %d %d 0\n", s.ArgStart, s.ArgEnd, s.EnvStart, s.EnvEnd)
	return b.Bytes()
}

// stateName is the long form of a state letter in /proc/PID/status.
func stateName(c byte) string {
	switch c {
	case 'R':
		return "R (running)"
	case 'S':
		return "S (sleeping)"
	case 'D':
		return "D (disk sleep)"
	case 'T':
		return "T (stopped)"
	case 't':
		return "t (tracing stop)"
	case 'Z':
		return "Z (zombie)"
	case 'X':
		return "X (dead)"
	}
	return string(c)
}

// cpuMask is the Cpus_allowed mask of n CPUs, in Linux's comma-grouped
// hex.
func cpuMask(n int) (mask, list string) {
	if n < 1 {
		n = 1
	}
	words := make([]uint32, (n+31)/32)
	for i := 0; i < n; i++ {
		words[i/32] |= 1 << (i % 32)
	}
	var parts []string
	for i := len(words) - 1; i >= 0; i-- {
		if i == len(words)-1 {
			parts = append(parts, fmt.Sprintf("%x", words[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%08x", words[i]))
		}
	}
	list = "0"
	if n > 1 {
		list = fmt.Sprintf("0-%d", n-1)
	}
	return strings.Join(parts, ","), list
}

// formatStatus is /proc/PID/status (fs/proc/array.c's proc_pid_status),
// in Linux 6.x's order.
func formatStatus(s *TaskStat, ncpu int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Name:\t%s\n", escapeComm(s.Comm))
	fmt.Fprintf(&b, "Umask:\t%04o\n", s.Umask)
	fmt.Fprintf(&b, "State:\t%s\n", stateName(s.State))
	fmt.Fprintf(&b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n", s.TGID, s.PID, s.PPID, s.TracerPID)
	fmt.Fprintf(&b, "Uid:\t%d\t%d\t%d\t%d\n", s.UIDs[0], s.UIDs[1], s.UIDs[2], s.UIDs[3])
	fmt.Fprintf(&b, "Gid:\t%d\t%d\t%d\t%d\n", s.GIDs[0], s.GIDs[1], s.GIDs[2], s.GIDs[3])
	fmt.Fprintf(&b, "FDSize:\t%d\n", s.FDSize)
	b.WriteString("Groups:\t")
	for i, g := range s.Groups {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d", g)
	}
	b.WriteString(" \n")
	nsLine(&b, "NStgid", s.NSTGID, s.TGID)
	nsLine(&b, "NSpid", s.NSPID, s.PID)
	nsLine(&b, "NSpgid", s.NSPGID, s.PGRP)
	nsLine(&b, "NSsid", s.NSSID, s.Session)
	b.WriteString("Kthread:\t0\n")
	if s.HasMM {
		kb := func(name string, v uint64) {
			fmt.Fprintf(&b, "%s:\t%8d kB\n", name, v/1024)
		}
		kb("VmPeak", s.VmSize)
		kb("VmSize", s.VmSize)
		kb("VmLck", s.VmLck)
		kb("VmPin", 0)
		kb("VmHWM", s.VmRSS)
		kb("VmRSS", s.VmRSS)
		kb("RssAnon", s.VmRSS-min(s.VmShared, s.VmRSS))
		kb("RssFile", 0)
		kb("RssShmem", s.VmShared)
		kb("VmData", s.VmData)
		kb("VmStk", s.VmStk)
		kb("VmExe", s.VmExe)
		kb("VmLib", 0)
		kb("VmPTE", 0)
		kb("VmSwap", 0)
		kb("HugetlbPages", 0)
	}
	b.WriteString("CoreDumping:\t0\n")
	if s.HasMM {
		b.WriteString("THP_enabled:\t1\n")
	}
	fmt.Fprintf(&b, "Threads:\t%d\n", s.NumThreads)
	fmt.Fprintf(&b, "SigQ:\t%d/%d\n", s.SigQ, s.SigQLimit)
	fmt.Fprintf(&b, "SigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\nSigCgt:\t%016x\n",
		s.SigPnd, s.ShdPnd, s.SigBlk, s.SigIgn, s.SigCgt)
	fmt.Fprintf(&b, "CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\n",
		s.CapInh, s.CapPrm, s.CapEff, s.CapBnd, s.CapAmb)
	nnp := 0
	if s.NoNewPrivs {
		nnp = 1
	}
	fmt.Fprintf(&b, "NoNewPrivs:\t%d\nSeccomp:\t%d\nSeccomp_filters:\t%d\n", nnp, s.Seccomp, s.SeccompFilters)
	mask, list := cpuMask(ncpu)
	fmt.Fprintf(&b, "Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\n", mask, list)
	b.WriteString("Mems_allowed:\t1\nMems_allowed_list:\t0\n")
	b.WriteString("voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n")
	return b.Bytes()
}

// escapeComm escapes a command name for status as Linux's
// proc_task_name does: "\n" as "\\n" and "\\" as "\\\\".
func escapeComm(s string) string {
	if !strings.ContainsAny(s, "\n\\") {
		return s
	}
	return strings.NewReplacer("\\", "\\\\", "\n", "\\n").Replace(s)
}

// formatMaps is /proc/PID/maps: the path column starts at byte 73 as
// Linux pads it.
func formatMaps(ms []Mapping) []byte {
	var b bytes.Buffer
	for _, m := range ms {
		perm := []byte("---p")
		if m.Read {
			perm[0] = 'r'
		}
		if m.Write {
			perm[1] = 'w'
		}
		if m.Exec {
			perm[2] = 'x'
		}
		if m.Shared {
			perm[3] = 's'
		}
		line := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d", m.Start, m.End, perm, m.Offset, m.DevMajor, m.DevMinor, m.Inode)
		b.WriteString(line)
		if m.Path != "" {
			if n := 72 - len(line); n > 0 {
				b.WriteString(strings.Repeat(" ", n))
			}
			b.WriteByte(' ')
			b.WriteString(escapeMapPath(m.Path))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// formatSmaps is /proc/PID/smaps: each maps line followed by the
// mapping's memory use and flags, in Linux's fields and order (kite has
// no huge pages, swap, KSM or lazily freed pages: those are 0).
func formatSmaps(ms []Mapping) []byte {
	var b bytes.Buffer
	for _, m := range ms {
		b.Write(formatMaps([]Mapping{m}))
		u := m.Usage
		if u == nil {
			u = &MappingUsage{}
		}
		kb := func(name string, v uint64) { fmt.Fprintf(&b, "%-16s%8d kB\n", name+":", v>>10) }
		kb("Size", m.End-m.Start)
		kb("KernelPageSize", 4096)
		kb("MMUPageSize", 4096)
		kb("Rss", u.Rss)
		kb("Pss", u.Pss)
		kb("Pss_Dirty", min(u.Pss, u.SharedDirty+u.PrivateDirty))
		kb("Shared_Clean", u.SharedClean)
		kb("Shared_Dirty", u.SharedDirty)
		kb("Private_Clean", u.PrivateClean)
		kb("Private_Dirty", u.PrivateDirty)
		kb("Referenced", u.Rss)
		kb("Anonymous", u.Anonymous)
		kb("KSM", 0)
		kb("LazyFree", 0)
		kb("AnonHugePages", 0)
		kb("ShmemPmdMapped", 0)
		kb("FilePmdMapped", 0)
		kb("Shared_Hugetlb", 0)
		kb("Private_Hugetlb", 0)
		kb("Swap", 0)
		kb("SwapPss", 0)
		kb("Locked", u.Locked)
		fmt.Fprintf(&b, "THPeligible:    %8d\n", 0)
		b.WriteString("VmFlags:")
		for _, f := range m.VmFlags {
			b.WriteByte(' ')
			b.WriteString(f)
		}
		b.WriteString(" \n")
	}
	return b.Bytes()
}

// escapeMapPath escapes a newline in a mapped file's name as Linux's
// seq_path(..., "\n") does.
func escapeMapPath(p string) string {
	return strings.ReplaceAll(p, "\n", "\\012")
}

// escapeMount escapes a mount field as Linux's mangle(): space, tab,
// newline and backslash in octal.
func escapeMount(s string) string {
	if !strings.ContainsAny(s, " \t\n\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mountOpts are a mount's per-mount options as /proc/mounts shows them.
func mountOpts(flags uint32) string {
	o := "rw"
	if flags&unix.MS_RDONLY != 0 {
		o = "ro"
	}
	for _, f := range []struct {
		bit  uint32
		name string
	}{
		{unix.MS_NOSUID, "nosuid"},
		{unix.MS_NODEV, "nodev"},
		{unix.MS_NOEXEC, "noexec"},
		{unix.MS_NOATIME, "noatime"},
		{unix.MS_NODIRATIME, "nodiratime"},
		{unix.MS_RELATIME, "relatime"},
		{unix.MS_NOSYMFOLLOW, "nosymfollow"},
	} {
		if flags&f.bit != 0 {
			o += "," + f.name
		}
	}
	return o
}

// formatMounts is /proc/mounts (/proc/PID/mounts).
func formatMounts(ms []vfs.MountInfo) []byte {
	var b bytes.Buffer
	for _, m := range ms {
		src := m.Source
		if src == "" {
			src = "none"
		}
		fmt.Fprintf(&b, "%s %s %s %s 0 0\n", escapeMount(src), escapeMount(m.MountPoint), escapeMount(m.FSType), mountOpts(m.Flags))
	}
	return b.Bytes()
}

// formatMountinfo is /proc/PID/mountinfo, with the optional fields of
// propagation (shared:N, master:N, propagate_from:N, unbindable).
func formatMountinfo(ms []vfs.MountInfo) []byte {
	var b bytes.Buffer
	for _, m := range ms {
		src := m.Source
		if src == "" {
			src = "none"
		}
		super := "rw"
		if m.Flags&unix.MS_RDONLY != 0 {
			super = "ro"
		}
		var opt string
		if m.Shared != 0 {
			opt += fmt.Sprintf(" shared:%d", m.Shared)
		}
		if m.Master != 0 {
			opt += fmt.Sprintf(" master:%d", m.Master)
		}
		if m.PropagateFrom != 0 {
			opt += fmt.Sprintf(" propagate_from:%d", m.PropagateFrom)
		}
		if m.Unbindable {
			opt += " unbindable"
		}
		fmt.Fprintf(&b, "%d %d %d:%d %s %s %s%s - %s %s %s\n", m.ID, m.Parent,
			unix.Major(m.Dev), unix.Minor(m.Dev), escapeMount(m.Root), escapeMount(m.MountPoint),
			mountOpts(m.Flags), opt, escapeMount(m.FSType), escapeMount(src), super)
	}
	return b.Bytes()
}

// formatMeminfo is /proc/meminfo: the first lines of Linux's, in its
// order, with the counters kite does not keep at 0.
func formatMeminfo(total, free, avail, cached, shmem, commitLimit, committed uint64) []byte {
	var b bytes.Buffer
	line := func(name string, v uint64) {
		fmt.Fprintf(&b, "%-16s%8d kB\n", name+":", v/1024)
	}
	line("MemTotal", total)
	line("MemFree", free)
	line("MemAvailable", avail)
	known := map[string]uint64{"Cached": cached, "Shmem": shmem}
	for _, n := range []string{"Buffers", "Cached", "SwapCached", "Active", "Inactive",
		"Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable",
		"Mlocked", "SwapTotal", "SwapFree", "Dirty", "Writeback", "AnonPages", "Mapped",
		"Shmem", "KReclaimable", "Slab", "SReclaimable", "SUnreclaim", "KernelStack",
		"PageTables", "NFS_Unstable", "Bounce", "WritebackTmp"} {
		line(n, known[n])
	}
	line("CommitLimit", commitLimit)
	line("Committed_AS", committed)
	for _, n := range []string{"VmallocTotal", "VmallocUsed", "VmallocChunk", "Percpu",
		"HardwareCorrupted", "AnonHugePages", "ShmemHugePages", "ShmemPmdMapped",
		"FileHugePages", "FilePmdMapped"} {
		line(n, 0)
	}
	fmt.Fprintf(&b, "%-16s%8d\n%-16s%8d\n%-16s%8d\n%-16s%8d\n", "HugePages_Total:", 0,
		"HugePages_Free:", 0, "HugePages_Rsvd:", 0, "HugePages_Surp:", 0)
	line("Hugepagesize", 2048*1024)
	line("Hugetlb", 0)
	return b.Bytes()
}

// formatVmstat is /proc/vmstat with the counters kite keeps: free,
// file-backed (page cache) and shared-memory pages, and the swap
// counters, 0 as kite has no swap. Linux's other counters (faults, page
// I/O, reclaim...) are left out rather than made up; readers such as
// procps's vmstat take a missing counter as 0.
func formatVmstat(free, cached, shmem uint64) []byte {
	const page = 4096
	return fmt.Appendf(nil, "nr_free_pages %d\nnr_file_pages %d\nnr_shmem %d\npswpin 0\npswpout 0\n",
		free/page, cached/page, shmem/page)
}

// formatUptime is /proc/uptime: seconds up and CPU-seconds idle, to
// hundredths. kite does not count idle time; it reports 0.
// formatLoadavg is /proc/loadavg: the averages (fixed point, 11 fraction
// bits) rounded to two decimals as Linux's LOAD_INT/LOAD_FRAC, the running
// and all threads, and the last pid.
func formatLoadavg(avg [3]uint64, running, threads int, last int32) []byte {
	const fshift, fixed1 = 11, 1 << 11
	var b []byte
	for _, v := range avg {
		v += fixed1 / 200
		b = fmt.Appendf(b, "%d.%02d ", v>>fshift, ((v&(fixed1-1))*100)>>fshift)
	}
	return fmt.Appendf(b, "%d/%d %d\n", running, threads, last)
}

func formatUptime(up time.Duration) []byte {
	cs := uint64(up / (10 * time.Millisecond))
	return []byte(fmt.Sprintf("%d.%02d 0.00\n", cs/100, cs%100))
}

// formatSystemStat is /proc/stat. kite does not account CPU time per CPU, so
// the cpu lines, interrupts and context switches are 0; btime is when
// the kernel started, which ps needs for start times; processes counts
// the tasks created since (forks) and procs_running the running ones.
func formatSystemStat(ncpu int, boot time.Time, forks uint64, running int) []byte {
	var b bytes.Buffer
	const zeros = " 0 0 0 0 0 0 0 0 0 0\n"
	b.WriteString("cpu " + zeros)
	for i := 0; i < max(ncpu, 1); i++ {
		fmt.Fprintf(&b, "cpu%d%s", i, zeros)
	}
	fmt.Fprintf(&b, "intr 0\nctxt 0\nbtime %d\nprocesses %d\nprocs_running %d\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		boot.Unix(), forks, max(running, 1))
	return b.Bytes()
}

// formatStatm is /proc/PID/statm: size, resident, shared, text, lib
// (always 0), data and dirty (always 0), in pages.
func formatStatm(s *TaskStat) []byte {
	if !s.HasMM {
		return []byte("0 0 0 0 0 0 0\n")
	}
	const page = 4096
	return []byte(fmt.Sprintf("%d %d %d %d 0 %d 0\n", s.VmSize/page, s.VmRSS/page, s.VmShared/page,
		s.VmExe/page, (s.VmData+s.VmStk)/page))
}

// limitNames are the rows of /proc/PID/limits, by RLIMIT_* number, with
// their units ("" for none).
var limitNames = [NumLimits][2]string{
	{"Max cpu time", "seconds"},
	{"Max file size", "bytes"},
	{"Max data size", "bytes"},
	{"Max stack size", "bytes"},
	{"Max core file size", "bytes"},
	{"Max resident set", "bytes"},
	{"Max processes", "processes"},
	{"Max open files", "files"},
	{"Max locked memory", "bytes"},
	{"Max address space", "bytes"},
	{"Max file locks", "locks"},
	{"Max pending signals", "signals"},
	{"Max msgqueue size", "bytes"},
	{"Max nice priority", ""},
	{"Max realtime priority", ""},
	{"Max realtime timeout", "us"},
}

// formatLimits is /proc/PID/limits (fs/proc/base.c's proc_pid_limits).
func formatLimits(ls [NumLimits]RLimit) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units")
	val := func(v uint64) string {
		if v == ^uint64(0) {
			return "unlimited"
		}
		return fmt.Sprint(v)
	}
	for i, l := range ls {
		fmt.Fprintf(&b, "%-25s %-20s %-20s ", limitNames[i][0], val(l.Cur), val(l.Max))
		if u := limitNames[i][1]; u != "" {
			fmt.Fprintf(&b, "%-10s\n", u)
		} else {
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// blockFilesystems are the file system types that need a block device;
// /proc/filesystems marks every other type "nodev".
var blockFilesystems = map[string]bool{"ext2": true, "ext3": true, "ext4": true, "vfat": true, "msdos": true, "fat": true}

// formatFilesystems is /proc/filesystems.
func formatFilesystems(names []string) []byte {
	var b bytes.Buffer
	for _, n := range names {
		if blockFilesystems[n] {
			fmt.Fprintf(&b, "\t%s\n", n)
		} else {
			fmt.Fprintf(&b, "nodev\t%s\n", n)
		}
	}
	return b.Bytes()
}

// formatFDInfo is /proc/PID/fdinfo/N.
func formatFDInfo(pos int64, flags int, mntID, ino uint64) []byte {
	return []byte(fmt.Sprintf("pos:\t%d\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n", pos, flags, mntID, ino))
}

// nsLine writes one of status's NS lines: the ids in each PID namespace,
// tab-separated (one if ids is nil).
func nsLine(b *bytes.Buffer, name string, ids []int32, id int32) {
	if ids == nil {
		ids = []int32{id}
	}
	b.WriteString(name + ":")
	for _, x := range ids {
		fmt.Fprintf(b, "\t%d", x)
	}
	b.WriteByte('\n')
}
