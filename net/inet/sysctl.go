package inet

import (
	"fmt"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// Sysctls implements net.Sysctler: the /proc/sys/net values kite's
// stack uses, read from it where tcpip keeps them (read only: writes
// are not carried out).
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
		// Ping sockets are for nobody (Linux's default).
		"ipv4/ping_group_range": line("1\t0"),
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
