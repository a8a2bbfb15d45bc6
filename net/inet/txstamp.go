package inet

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/nested"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/waiter"
)

// SOF_TIMESTAMPING_* flags and error-queue constants of software
// transmit timestamps.
const (
	sofTxHardware  = 1 << 0
	sofTxSoftware  = 1 << 1
	sofSoftware    = 1 << 4
	sofOptID       = 1 << 7
	sofTxSched     = 1 << 8
	sofTxAck       = 1 << 9
	sofOptTSOnly   = 1 << 11
	sofBindPHC     = 1 << 15
	sofTxComplete  = 1 << 18
	sofMask        = 1<<19 - 1
	soEEOriginTime = 4 // SO_EE_ORIGIN_TIMESTAMPING
	ethHeaderLen   = 14
)

// stampLink is a NIC's link endpoint with software transmit timestamps:
// a packet of a socket that asked for them (SOF_TIMESTAMPING_TX_SOFTWARE)
// is stamped as it goes to the link, where Linux's drivers call
// skb_tx_timestamp, and the socket queues the stamp on its error queue.
type stampLink struct {
	nested.Endpoint
}

func newStampLink(child stack.LinkEndpoint) *stampLink {
	l := &stampLink{}
	l.Endpoint.Init(child, l)
	return l
}

// WritePackets implements stack.LinkEndpoint.
func (l *stampLink) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	var now time.Time
	for _, pkt := range pkts.AsSlice() {
		o, ok := pkt.Owner.(*stampOwner)
		if !ok {
			continue
		}
		if now.IsZero() {
			now = o.s.fam.now()
		}
		o.s.txStamped(pkt, now)
	}
	return l.Endpoint.WritePackets(pkts)
}

// stampOwner marks the packets of a socket with transmit timestamps on
// (tcpip's packet owner, which it otherwise uses for netfilter's owner
// match: the socket's uid and gid).
type stampOwner struct {
	s        *socket
	uid, gid uint32
}

// KUID implements tcpip.PacketOwner.
func (o *stampOwner) KUID() uint32 { return o.uid }

// KGID implements tcpip.PacketOwner.
func (o *stampOwner) KGID() uint32 { return o.gid }

// txStamp is the cause of a transmit timestamp's error-queue message:
// SO_EE_ORIGIN_TIMESTAMPING, SCM_TSTAMP_SND, with the time and the
// OPT_ID key.
type txStamp struct {
	at  time.Time
	key uint32
	// link is the packet's link header (the error's payload is the
	// rest of the packet).
	link []byte
	// size is what the stamp counts against the receive buffer.
	size int64
}

// txStampOverhead is what a queued stamp counts beyond its packet's
// bytes (Linux charges a buffer's bookkeeping as well: its truesize).
const txStampOverhead = 512

// Origin implements tcpip.SockErrorCause.
func (*txStamp) Origin() tcpip.SockErrOrigin { return soEEOriginTime }

// Type implements tcpip.SockErrorCause (SCM_TSTAMP_SND).
func (*txStamp) Type() uint8 { return 0 }

// Code implements tcpip.SockErrorCause.
func (*txStamp) Code() uint8 { return 0 }

// Info implements tcpip.SockErrorCause.
func (*txStamp) Info() uint32 { return 0 }

// setTxTimestamping is SO_TIMESTAMPING with SOF_TIMESTAMPING_TX_SOFTWARE
// on a UDP socket: the flags are checked as sock_set_timestamping does,
// OPT_ID's counter starts at 0 when OPT_ID is turned on, and the
// endpoint marks its packets for the link to stamp. Other flags, and
// other sockets, are left to the socket layer (ENOPROTOOPT), which
// refuses the transmit timestamps kite does not produce.
func (s *socket) setTxTimestamping(ep tcpip.Endpoint, name int, val []byte) error {
	if s.typ != unix.SOCK_DGRAM || s.protocol != unix.IPPROTO_UDP || len(val) < 4 {
		return unix.ENOPROTOOPT
	}
	f := binary.LittleEndian.Uint32(val)
	if f&sofTxSoftware == 0 || f&(sofTxHardware|sofTxSched|sofTxAck|sofTxComplete) != 0 {
		return unix.ENOPROTOOPT
	}
	if f&^sofMask != 0 {
		return unix.EINVAL
	}
	if f&sofBindPHC != 0 {
		return unix.EOPNOTSUPP
	}
	if old, _ := s.opts.TimestampingFlags(); f&sofOptID != 0 && old&sofOptID == 0 {
		s.tskey.Store(0)
	}
	s.opts.SetTimestamping(name, f)
	ep.SetOwner(&stampOwner{s: s, uid: s.uid, gid: s.gid})
	return nil
}

// txStamped queues the transmit timestamp of pkt, sent at now, when
// the socket still asks for it: one per datagram (its first fragment),
// with the OPT_ID counter, and without OPT_TSONLY the packet from its
// link header on (lo's is an Ethernet header with zero addresses).
func (s *socket) txStamped(pkt *stack.PacketBuffer, now time.Time) {
	f, _ := s.opts.TimestampingFlags()
	if f&sofTxSoftware == 0 {
		return
	}
	nh := pkt.NetworkHeader().Slice()
	if pkt.NetworkProtocolNumber == ipv4.ProtocolNumber && len(nh) >= header.IPv4MinimumSize && header.IPv4(nh).FragmentOffset() != 0 {
		return
	}
	st := &txStamp{at: now}
	if f&sofOptID != 0 {
		st.key = s.tskey.Add(1) - 1
	}
	se := &tcpip.SockError{Cause: st, NetProto: s.fam.netProto()}
	if f&sofOptTSOnly == 0 {
		eth := make([]byte, ethHeaderLen)
		copy(eth[0:6], pkt.EgressRoute.RemoteLinkAddress)
		copy(eth[6:12], pkt.EgressRoute.LocalLinkAddress)
		binary.BigEndian.PutUint16(eth[12:], uint16(pkt.NetworkProtocolNumber))
		st.link = eth
		se.Payload = stack.PayloadSince(pkt.NetworkHeader())
	}
	st.size = txStampOverhead + int64(len(st.link))
	if se.Payload != nil {
		st.size += int64(se.Payload.Size())
	}
	// As sock_queue_err_skb: a stamp that would fill the receive
	// buffer is dropped (a program that never reads the error queue
	// must not make it grow without bound).
	if s.txBytes.Load()+st.size >= s.ep().SocketOptions().GetReceiveBufferSize() {
		if se.Payload != nil {
			se.Payload.Release()
		}
		return
	}
	s.txBytes.Add(st.size)
	s.ep().SocketOptions().QueueErr(se)
	s.txQueued.Add(1)
	s.wq.Notify(waiter.EventErr)
}
