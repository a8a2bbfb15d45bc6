package inet

import (
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/netlink"
)

// SysfsLink is an interface as /sys/class/net shows it: the link
// RTM_GETLINK gives and its counters in struct rtnl_link_stats64's
// order (rx_packets, tx_packets, rx_bytes, tx_bytes, rx_errors, ...;
// nil when unknown).
type SysfsLink struct {
	netlink.Link
	Stats []uint64
}

// SysfsLinks returns the interfaces of the network ns's AF_INET family
// is (kite's stack or the host network with --net=host) in index order;
// ok is false when that family is not this package's.
func SysfsLinks(ns *net.Stack) (links []SysfsLink, ok bool) {
	switch f := ns.Family(unix.AF_INET).(type) {
	case *family:
		infos := f.st.s.NICInfo()
		for _, l := range f.st.Links() {
			s := make([]uint64, 24)
			if info, ok := infos[tcpip.NICID(l.Index)]; ok {
				s[0], s[1] = info.Stats.Rx.Packets.Value(), info.Stats.Tx.Packets.Value()
				s[2], s[3] = info.Stats.Rx.Bytes.Value(), info.Stats.Tx.Bytes.Value()
			}
			links = append(links, SysfsLink{Link: l, Stats: s})
		}
		return links, true
	case *hostFamily:
		hl, err := f.h.hostLinks()
		if err != nil {
			return nil, true
		}
		for _, l := range hl {
			links = append(links, SysfsLink{Link: l.Link, Stats: l.stats})
		}
		return links, true
	}
	return nil, false
}
