package inet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// Sysctls implements net.Sysctler: the /proc/sys/net values kite's
// stack uses, read from it where tcpip keeps them; SetSysctl takes the
// writes kite honours.
func (f *family) Sysctls() map[string]func() []byte {
	st := f.st
	line := func(format string, a ...any) func() []byte {
		return func() []byte { return fmt.Appendf(nil, format+"\n", a...) }
	}
	tcpOpt := func(opt tcpip.GettableTransportProtocolOption) tcpip.GettableTransportProtocolOption {
		st.s.TransportProtocolOption(tcp.ProtocolNumber, opt)
		return opt
	}
	bufRange := func(recv bool) func() []byte {
		return func() []byte {
			if recv {
				var o tcpip.TCPReceiveBufferSizeRangeOption
				tcpOpt(&o)
				return fmt.Appendf(nil, "%d\t%d\t%d\n", o.Min, o.Default, o.Max)
			}
			var o tcpip.TCPSendBufferSizeRangeOption
			tcpOpt(&o)
			return fmt.Appendf(nil, "%d\t%d\t%d\n", o.Min, o.Default, o.Max)
		}
	}
	boolOpt := func(get func() bool) func() []byte {
		return func() []byte {
			if get() {
				return []byte("1\n")
			}
			return []byte("0\n")
		}
	}
	return map[string]func() []byte{
		"core/somaxconn":           line("%d", somaxconn),
		"ipv4/ip_local_port_range": line("%d\t%d", portLow, portHigh),
		"ipv4/ip_default_ttl":      line("%d", defaultTTL),
		"ipv4/ping_group_range": func() []byte {
			st.mu.Lock()
			defer st.mu.Unlock()
			return fmt.Appendf(nil, "%d\t%d\n", st.pingLow, st.pingHigh)
		},
		"ipv4/tcp_sack": boolOpt(func() bool {
			var v tcpip.TCPSACKEnabled
			tcpOpt(&v)
			return bool(v)
		}),
		"ipv4/tcp_moderate_rcvbuf": boolOpt(func() bool {
			var v tcpip.TCPModerateReceiveBufferOption
			tcpOpt(&v)
			return bool(v)
		}),
		// tcpip always offers window scaling.
		"ipv4/tcp_window_scaling":   line("1"),
		"ipv4/tcp_keepalive_time":   line("%d", tcp.DefaultKeepaliveIdle/time.Second),
		"ipv4/tcp_keepalive_intvl":  line("%d", tcp.DefaultKeepaliveInterval/time.Second),
		"ipv4/tcp_keepalive_probes": line("%d", tcp.DefaultKeepaliveCount),
		"ipv4/tcp_syn_retries":      line("%d", tcp.DefaultSynRetries),
		"ipv4/tcp_fin_timeout": func() []byte {
			var v tcpip.TCPLingerTimeoutOption
			tcpOpt(&v)
			return fmt.Appendf(nil, "%d\n", time.Duration(v)/time.Second)
		},
		"ipv4/tcp_congestion_control": func() []byte {
			var v tcpip.CongestionControlOption
			tcpOpt(&v)
			return fmt.Appendf(nil, "%s\n", v)
		},
		"ipv4/tcp_rmem": bufRange(true),
		"ipv4/tcp_wmem": bufRange(false),
	}
}

// SysctlWritable implements net.SysctlWriter.
func (f *family) SysctlWritable(name string) bool { return name == "ipv4/ping_group_range" }

// SetSysctl implements net.SysctlWriter: ping_group_range takes one or
// two groups (numbers as strtoul with base 0 reads them; more are
// ignored; none changes nothing); a group that is not valid (-1, or
// beyond 32 bits) is EINVAL, and a range whose high end lies below its
// low one is stored as "1 0".
func (f *family) SetSysctl(name string, value []byte) error {
	if name != "ipv4/ping_group_range" {
		return unix.EIO
	}
	st := f.st
	st.mu.Lock()
	defer st.mu.Unlock()
	v := [2]uint32{st.pingLow, st.pingHigh}
	fields := strings.Fields(string(value))
	for i := 0; i < len(fields) && i < 2; i++ {
		n, err := strconv.ParseUint(fields[i], 0, 32)
		if err != nil || n == 1<<32-1 || strings.ContainsAny(fields[i], "_oObB") {
			return unix.EINVAL
		}
		v[i] = uint32(n)
	}
	if v[1] < v[0] {
		v = [2]uint32{1, 0}
	}
	st.pingLow, st.pingHigh = v[0], v[1]
	return nil
}

// mayPing reports whether a process with effective group egid and
// supplementary groups may make an ICMP echo socket (ping_init_sock).
func (st *Stack) mayPing(egid uint32, groups []uint32) bool {
	st.mu.Lock()
	low, high := st.pingLow, st.pingHigh
	st.mu.Unlock()
	if low <= egid && egid <= high {
		return true
	}
	for _, g := range groups {
		if low <= g && g <= high {
			return true
		}
	}
	return false
}
