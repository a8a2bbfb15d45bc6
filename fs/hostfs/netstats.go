package hostfs

import (
	"golang.org/x/sys/unix"
)

// NetStatsFile is one of the host /proc/net files ReadNetStats reads:
// the network namespace's protocol counters and socket counts, and its
// raw and ping socket lists, which netlink does not carry.
type NetStatsFile struct {
	Name string
	// IPv6 is set for the IPv6 files, Sockets for the socket lists.
	IPv6, Sockets bool
}

// NetStatsFiles are the files ReadNetStats reads.
func NetStatsFiles() []NetStatsFile {
	return []NetStatsFile{
		{Name: "snmp"}, {Name: "netstat"}, {Name: "sockstat"},
		{Name: "snmp6", IPv6: true}, {Name: "sockstat6", IPv6: true},
		{Name: "raw", Sockets: true}, {Name: "icmp", Sockets: true},
		{Name: "raw6", IPv6: true, Sockets: true}, {Name: "icmp6", IPv6: true, Sockets: true},
	}
}

// isNetStats reports whether name is one of NetStatsFiles.
func isNetStats(name string) bool {
	for _, f := range NetStatsFiles() {
		if f.Name == name {
			return true
		}
	}
	return false
}

// maxNetStats bounds what ReadNetStats reads (the files are a few KiB).
const maxNetStats = 1 << 20

// ReadNetStats returns the text of the host's /proc/net/NAME (one of
// NetStatsFiles; ENOENT for any other name) as
// the network namespace of the calling thread shows it: what a program
// of the host network (`kite run --net=host`) reads there. The caller
// runs it on a thread of the namespace it means. The file is opened
// read-only through /proc/thread-self with O_NOFOLLOW and must be a
// regular file; nothing is written.
func ReadNetStats(name string) ([]byte, error) {
	if !isNetStats(name) {
		return nil, unix.ENOENT
	}
	fd, err := unix.Open("/proc/thread-self/net/"+name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, unix.EINVAL
	}
	var out []byte
	buf := make([]byte, 16<<10)
	for len(out) < maxNetStats {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	return out, nil
}
