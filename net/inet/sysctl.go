package inet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
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
	raw := func(name string, def int64) func() []byte {
		return func() []byte {
			st.mu.Lock()
			defer st.mu.Unlock()
			if v, ok := st.sysctlRaw[name]; ok {
				return fmt.Appendf(nil, "%d\n", v)
			}
			return fmt.Appendf(nil, "%d\n", def)
		}
	}
	return map[string]func() []byte{
		"ipv4/ip_local_port_range": func() []byte {
			lo, hi := st.s.PortRange()
			return fmt.Appendf(nil, "%d\t%d\n", lo, hi)
		},
		"ipv4/ip_default_ttl": func() []byte { return fmt.Appendf(nil, "%d\n", st.ipv4TTL()) },
		"ipv4/ping_group_range": func() []byte {
			st.mu.Lock()
			defer st.mu.Unlock()
			return fmt.Appendf(nil, "%d\t%d\n", st.pingLow, st.pingHigh)
		},
		"ipv4/tcp_sack":            raw("ipv4/tcp_sack", 1),
		"ipv4/tcp_moderate_rcvbuf": raw("ipv4/tcp_moderate_rcvbuf", 1),
		// tcpip always offers window scaling.
		"ipv4/tcp_window_scaling":   line("1"),
		"ipv4/tcp_keepalive_time":   line("%d", tcp.DefaultKeepaliveIdle/time.Second),
		"ipv4/tcp_keepalive_intvl":  line("%d", tcp.DefaultKeepaliveInterval/time.Second),
		"ipv4/tcp_keepalive_probes": line("%d", tcp.DefaultKeepaliveCount),
		"ipv4/tcp_syn_retries": func() []byte {
			var v tcpip.TCPSynRetriesOption
			tcpOpt(&v)
			return fmt.Appendf(nil, "%d\n", v)
		},
		"ipv4/tcp_retries2": func() []byte {
			var v tcpip.TCPMaxRetriesOption
			tcpOpt(&v)
			return fmt.Appendf(nil, "%d\n", v)
		},
		"ipv4/tcp_tw_reuse": func() []byte {
			var v tcpip.TCPTimeWaitReuseOption
			tcpOpt(&v)
			return fmt.Appendf(nil, "%d\n", v)
		},
		"ipv4/tcp_fin_timeout": func() []byte {
			st.mu.Lock()
			v, ok := st.sysctlRaw["ipv4/tcp_fin_timeout"]
			st.mu.Unlock()
			if !ok {
				var d tcpip.TCPLingerTimeoutOption
				tcpOpt(&d)
				v = int64(time.Duration(d) / time.Second)
			}
			return fmt.Appendf(nil, "%d\n", v)
		},
		"ipv4/tcp_congestion_control": func() []byte {
			var v tcpip.CongestionControlOption
			tcpOpt(&v)
			return fmt.Appendf(nil, "%s\n", v)
		},
		"ipv4/tcp_available_congestion_control": func() []byte {
			var v tcpip.TCPAvailableCongestionControlOption
			tcpOpt(&v)
			return fmt.Appendf(nil, "%s\n", v)
		},
		"ipv4/tcp_rmem": bufRange(true),
		"ipv4/tcp_wmem": bufRange(false),
	}
}

// writable are the /proc/sys/net files of the stack that take writes,
// each with the integers it reads and their bounds, as Linux's tables
// give them (proc_dointvec_minmax, proc_dou8vec_minmax).
var writable = map[string]struct {
	n        int
	min, max int64
}{
	"ipv4/ip_local_port_range": {2, 1, 65535},
	"ipv4/ip_default_ttl":      {1, 1, 255},
	"ipv4/tcp_sack":            {1, 0, 255},
	"ipv4/tcp_moderate_rcvbuf": {1, 0, 255},
	"ipv4/tcp_syn_retries":     {1, 1, 127},
	"ipv4/tcp_retries2":        {1, 0, 255},
	"ipv4/tcp_tw_reuse":        {1, 0, 2},
	"ipv4/tcp_fin_timeout":     {1, -1 << 31, 1<<31 - 1},
}

// SysctlWritable implements net.SysctlWriter.
func (f *family) SysctlWritable(name string) bool {
	_, ok := writable[name]
	return ok || name == "ipv4/ping_group_range" || name == "ipv4/tcp_congestion_control"
}

// SetSysctl implements net.SysctlWriter: the value is applied to the
// namespace's stack. Numbers are read as proc_dointvec reads them
// (net.ParseSysctlInts) and checked against Linux's bounds (EINVAL).
// ip_local_port_range takes two ports (the second left out stays), the
// first no lower than 1024
// (net.ipv4.ip_unprivileged_port_start, fixed in kite) and no higher
// than the second; tcp_congestion_control is one of tcpip's algorithms
// (ENOENT for another, as Linux for one it has not loaded); tcp_sack
// and tcp_moderate_rcvbuf show what was written and turn the feature on
// when it is not 0; a negative tcp_fin_timeout is shown as written and
// applied as 0.
func (f *family) SetSysctl(name string, value []byte) error {
	st := f.st
	switch name {
	case "ipv4/ping_group_range":
		return st.setPingGroupRange(value)
	case "ipv4/tcp_congestion_control":
		v := tcpip.CongestionControlOption(strings.TrimSpace(string(value)))
		if err := st.s.SetTransportProtocolOption(tcp.ProtocolNumber, &v); err != nil {
			return unix.ENOENT
		}
		return nil
	}
	w, ok := writable[name]
	if !ok {
		return unix.EIO
	}
	v, err := net.ParseSysctlInts(value, w.n)
	if err != nil {
		return unix.EINVAL
	}
	if name == "ipv4/ip_local_port_range" && len(v) == 1 {
		// A value left out keeps what it was.
		_, hi := st.s.PortRange()
		v = append(v, int64(hi))
	}
	for _, x := range v {
		if x < w.min || x > w.max {
			return unix.EINVAL
		}
	}
	setTCP := func(opt tcpip.SettableTransportProtocolOption) error {
		if err := st.s.SetTransportProtocolOption(tcp.ProtocolNumber, opt); err != nil {
			return unix.EINVAL
		}
		return nil
	}
	switch name {
	case "ipv4/ip_local_port_range":
		if v[0] > v[1] || v[0] < 1024 {
			return unix.EINVAL
		}
		return errno(st.s.SetPortRange(uint16(v[0]), uint16(v[1])))
	case "ipv4/ip_default_ttl":
		ttl := tcpip.DefaultTTLOption(v[0])
		return errno(st.s.SetNetworkProtocolOption(ipv4.ProtocolNumber, &ttl))
	case "ipv4/tcp_sack":
		o := tcpip.TCPSACKEnabled(v[0] != 0)
		if err := setTCP(&o); err != nil {
			return err
		}
	case "ipv4/tcp_moderate_rcvbuf":
		o := tcpip.TCPModerateReceiveBufferOption(v[0] != 0)
		if err := setTCP(&o); err != nil {
			return err
		}
	case "ipv4/tcp_syn_retries":
		o := tcpip.TCPSynRetriesOption(v[0])
		return setTCP(&o)
	case "ipv4/tcp_retries2":
		o := tcpip.TCPMaxRetriesOption(v[0])
		return setTCP(&o)
	case "ipv4/tcp_tw_reuse":
		o := tcpip.TCPTimeWaitReuseOption(v[0])
		return setTCP(&o)
	case "ipv4/tcp_fin_timeout":
		o := tcpip.TCPLingerTimeoutOption(time.Duration(max(v[0], 0)) * time.Second)
		if err := setTCP(&o); err != nil {
			return err
		}
	}
	st.mu.Lock()
	st.sysctlRaw[name] = v[0]
	st.mu.Unlock()
	return nil
}

// setPingGroupRange is a write to ping_group_range: one or two groups
// (numbers as strtoul with base 0 reads them; more are ignored; none
// changes nothing); a group that is not valid (-1, or beyond 32 bits)
// is EINVAL, and a range whose high end lies below its low one is
// stored as "1 0".
func (st *Stack) setPingGroupRange(value []byte) error {
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

// ipv4TTL is net.ipv4.ip_default_ttl: IPv4's default TTL.
func (st *Stack) ipv4TTL() int {
	var v tcpip.DefaultTTLOption
	st.s.NetworkProtocolOption(ipv4.ProtocolNumber, &v)
	return int(v)
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
