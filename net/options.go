package net

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Buffer sizes, as Linux's defaults: net.core.wmem_default and
// rmem_default, the _max sysctls SO_SNDBUF and SO_RCVBUF clamp to, and
// SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF.
const (
	DefaultBuf = 212992
	MaxBuf     = 212992
	MinSndBuf  = 4608
	MinRcvBuf  = 2304
)

// Options are the SOL_SOCKET settings every socket has. Families read
// what they honour (buffer sizes, SO_PASSCRED, SO_RCVLOWAT).
type Options struct {
	// mu guards the fields below.
	mu       sync.Mutex
	sndbuf   int
	rcvbuf   int
	rcvtimeo Timeout
	sndtimeo Timeout
	passcred bool
	rcvlowat int
	linger   [2]int32
	// tstamp, tstampNS and tstampNew are SOCK_RCVTSTAMP,
	// SOCK_RCVTSTAMPNS and SOCK_TSTAMP_NEW: which receive time control
	// message recvmsg adds.
	tstamp, tstampNS, tstampNew bool
	// tsflags are SO_TIMESTAMPING's SOF_TIMESTAMPING_* flags.
	tsflags uint32
	// ints holds the options that are only recorded and reported
	// (SO_KEEPALIVE, SO_REUSEADDR...).
	ints map[int]int32

	// pendingErr is an error the socket layer left for the next
	// receive or SO_ERROR (recvmmsg's, as Linux's sk_err); atomic, so
	// that poll and receives pay one load.
	pendingErr atomic.Int32
}

// SetPendingError records e for the next receive or SO_ERROR.
func (o *Options) SetPendingError(e unix.Errno) { o.pendingErr.Store(int32(e)) }

// TakePendingError returns and clears the recorded error (0: none).
func (o *Options) TakePendingError() unix.Errno {
	if o.pendingErr.Load() == 0 {
		return 0
	}
	return unix.Errno(o.pendingErr.Swap(0))
}

// hasPendingError reports whether an error is recorded.
func (o *Options) hasPendingError() bool { return o.pendingErr.Load() != 0 }

// NewOptions returns the options of a new socket.
func NewOptions() *Options {
	return &Options{sndbuf: DefaultBuf, rcvbuf: DefaultBuf, rcvlowat: 1}
}

// SndBuf returns SO_SNDBUF.
func (o *Options) SndBuf() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sndbuf
}

// RcvBuf returns SO_RCVBUF.
func (o *Options) RcvBuf() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.rcvbuf
}

// RcvTimeo returns SO_RCVTIMEO.
func (o *Options) RcvTimeo() Timeout {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.rcvtimeo
}

// SndTimeo returns SO_SNDTIMEO.
func (o *Options) SndTimeo() Timeout {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sndtimeo
}

// PassCred returns SO_PASSCRED.
func (o *Options) PassCred() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.passcred
}

// SetPassCred sets SO_PASSCRED (a socket inherits its listener's).
func (o *Options) SetPassCred(on bool) {
	o.mu.Lock()
	o.passcred = on
	o.mu.Unlock()
}

// OOBInline returns SO_OOBINLINE: out-of-band data is read in line.
func (o *Options) OOBInline() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ints[unix.SO_OOBINLINE] != 0
}

// Timestamp control message types (SO_TIMESTAMP_OLD...: the cmsg type
// is the option's number).
const (
	soTimestampNew   = 63
	soTimestampNSNew = 64
)

// SO_TIMESTAMPING: the option numbers (also the control message types
// on 64-bit machines) and the SOF_TIMESTAMPING_* flags.
const (
	soTimestampingOld = 37
	soTimestampingNew = 65

	sofTxHardware  = 1 << 0
	sofTxSoftware  = 1 << 1
	sofRxSoftware  = 1 << 3
	sofSoftware    = 1 << 4
	sofTxSched     = 1 << 8
	sofTxAck       = 1 << 9
	sofBindPHC     = 1 << 15
	sofOptRxFilter = 1 << 17
	sofTxComplete  = 1 << 18
	// sofMask is every flag Linux 6.18 knows.
	sofMask = 1<<19 - 1
	// sofTx are the transmit timestamps kite does not produce.
	sofTx = sofTxHardware | sofTxSoftware | sofTxSched | sofTxAck | sofTxComplete
)

// SetTimestamping records SO_TIMESTAMPING's flags (name is its old or
// new option number) as a family that produces transmit timestamps has
// set them on its own (the host's sockets with --net=host): receive
// times are still the layer's, and getsockopt gives the flags back.
func (o *Options) SetTimestamping(name int, flags uint32) {
	o.mu.Lock()
	o.tsflags = flags
	o.tstampNew = name == soTimestampingNew
	o.mu.Unlock()
}

// TimestampingFlags returns SO_TIMESTAMPING's flags and whether they
// were set through SO_TIMESTAMPING_NEW (whose control message type its
// messages carry).
func (o *Options) TimestampingFlags() (flags uint32, newForm bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tsflags, o.tstampNew
}

// StampTypes returns TimestampType and SO_TIMESTAMPING's type
// (timestampingTypeLocked) under one lock: a receive asks for both.
func (o *Options) StampTypes() (tt, st int32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.timestampTypeLocked(), o.timestampingTypeLocked()
}

// timestampingTypeLocked returns the control message type of SO_TIMESTAMPING's
// software receive time, 0 when it is not asked for: the flags report
// software times (SOF_TIMESTAMPING_SOFTWARE) and the packet was stamped
// on arrival, which kite takes to be when SOF_TIMESTAMPING_RX_SOFTWARE
// or SO_TIMESTAMP asked for it (Linux also stamps every packet while any
// socket of the machine wants receive times). A family with receive
// times calls it through StampTypes (kite's TCP/IP and host sockets);
// o.mu is held.
func (o *Options) timestampingTypeLocked() int32 {
	f := o.tsflags
	if f&sofSoftware == 0 || (f&sofRxSoftware == 0 && !(o.tstamp && f&sofOptRxFilter == 0)) {
		return 0
	}
	if o.tstampNew {
		return soTimestampingNew
	}
	return soTimestampingOld
}

// TimestampType returns the control message type of the receive time
// SO_TIMESTAMP, SO_TIMESTAMPNS or their _NEW forms ask for, 0 when off.
func (o *Options) TimestampType() int32 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.timestampTypeLocked()
}

// timestampTypeLocked is TimestampType; o.mu is held.
func (o *Options) timestampTypeLocked() int32 {
	switch {
	case !o.tstamp:
		return 0
	case o.tstampNew && o.tstampNS:
		return soTimestampNSNew
	case o.tstampNew:
		return soTimestampNew
	case o.tstampNS:
		return unix.SO_TIMESTAMPNS
	}
	return unix.SO_TIMESTAMP
}

// RcvLowat returns SO_RCVLOWAT.
func (o *Options) RcvLowat() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.rcvlowat
}

// Clone returns a copy (an accepted socket starts with its listener's
// options).
func (o *Options) Clone() *Options {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := Options{
		sndbuf: o.sndbuf, rcvbuf: o.rcvbuf, rcvtimeo: o.rcvtimeo, sndtimeo: o.sndtimeo,
		passcred: o.passcred, rcvlowat: o.rcvlowat, linger: o.linger,
		tstamp: o.tstamp, tstampNS: o.tstampNS, tstampNew: o.tstampNew, tsflags: o.tsflags,
	}
	n.ints = make(map[int]int32, len(o.ints))
	for k, v := range o.ints {
		n.ints[k] = v
	}
	return &n
}

// SO_* numbers x/sys/unix lacks or names differently.
const (
	soRcvTimeoNew = 66
	soSndTimeoNew = 67
)

// recordedInts are the options kept only to be reported back: booleans
// are normalised to 0/1 where Linux does.
var recordedInts = map[int]bool{
	unix.SO_KEEPALIVE: true, unix.SO_REUSEADDR: true, unix.SO_REUSEPORT: true,
	unix.SO_BROADCAST: true, unix.SO_OOBINLINE: true, unix.SO_DONTROUTE: true,
	unix.SO_PASSSEC:  true,
	unix.SO_NO_CHECK: true, unix.SO_RXQ_OVFL: true, unix.SO_WIFI_STATUS: true,
	unix.SO_NOFCS: true, unix.SO_SELECT_ERR_QUEUE: true, unix.SO_BUSY_POLL: false,
	unix.SO_PRIORITY: false, unix.SO_MARK: false, unix.SO_ZEROCOPY: true,
}

func putInt(v int32) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(v))
	return b
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// encodeTimeval encodes a timeout as struct timeval.
func encodeTimeval(to Timeout) []byte {
	b := make([]byte, 16)
	d := time.Duration(to)
	binary.LittleEndian.PutUint64(b, uint64(d/time.Second))
	binary.LittleEndian.PutUint64(b[8:], uint64(d%time.Second/time.Microsecond))
	return b
}

// decodeTimeval decodes SO_RCVTIMEO's struct timeval as sock_set_timeout.
func decodeTimeval(b []byte) (Timeout, error) {
	if len(b) < 16 {
		return 0, unix.EINVAL
	}
	sec := int64(binary.LittleEndian.Uint64(b))
	usec := int64(binary.LittleEndian.Uint64(b[8:]))
	if usec < 0 || usec >= 1000000 {
		return 0, unix.EDOM
	}
	if sec < 0 {
		return 0, nil
	}
	if sec == 0 && usec == 0 {
		return 0, nil
	}
	const maxSec = int64(1<<63-1) / int64(time.Second)
	if sec >= maxSec {
		return 0, nil
	}
	return Timeout(time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond), nil
}

// getOption answers the SOL_SOCKET options every socket has.
func getOption(so Socket, name int) ([]byte, error) {
	o := so.Options()
	family, typ, protocol := so.Info()
	o.mu.Lock()
	defer o.mu.Unlock()
	switch name {
	case unix.SO_TYPE:
		return putInt(int32(typ)), nil
	case unix.SO_DOMAIN:
		return putInt(int32(family)), nil
	case unix.SO_PROTOCOL:
		return putInt(int32(protocol)), nil
	case unix.SO_SNDBUF:
		return putInt(int32(o.sndbuf)), nil
	case unix.SO_RCVBUF:
		return putInt(int32(o.rcvbuf)), nil
	case unix.SO_RCVTIMEO, soRcvTimeoNew:
		return encodeTimeval(o.rcvtimeo), nil
	case unix.SO_SNDTIMEO, soSndTimeoNew:
		return encodeTimeval(o.sndtimeo), nil
	case unix.SO_PASSCRED:
		return putInt(boolInt(o.passcred)), nil
	case unix.SO_RCVLOWAT:
		return putInt(int32(o.rcvlowat)), nil
	case unix.SO_SNDLOWAT:
		return putInt(1), nil
	case unix.SO_LINGER:
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(o.linger[0]))
		binary.LittleEndian.PutUint32(b[4:], uint32(o.linger[1]))
		return b, nil
	case unix.SO_ERROR:
		return putInt(0), nil
	case unix.SO_TIMESTAMP:
		return putInt(boolInt(o.tstamp && !o.tstampNew && !o.tstampNS)), nil
	case unix.SO_TIMESTAMPNS:
		return putInt(boolInt(o.tstampNS && !o.tstampNew)), nil
	case soTimestampNew:
		return putInt(boolInt(o.tstamp && o.tstampNew)), nil
	case soTimestampNSNew:
		return putInt(boolInt(o.tstampNS && o.tstampNew)), nil
	case soTimestampingOld, soTimestampingNew:
		// struct so_timestamping (flags, bind_phc); the _NEW form
		// shows the flags only when they were set through it
		// (sock_getsockopt).
		b := make([]byte, 8)
		if name == soTimestampingOld || o.tstampNew {
			binary.LittleEndian.PutUint32(b, o.tsflags)
		}
		return b, nil
	}
	if _, ok := recordedInts[name]; ok {
		return putInt(o.ints[name]), nil
	}
	return nil, unix.ENOPROTOOPT
}

// clampBuf applies SO_SNDBUF/SO_RCVBUF's rule: the value is doubled
// (room for bookkeeping), clamped to twice the maximum and to the
// minimum.
func clampBuf(v int32, min int) int {
	n := int64(uint32(v)) // compared as unsigned: -1 is the maximum
	if n > MaxBuf {
		n = MaxBuf
	}
	n *= 2
	if n < int64(min) {
		n = int64(min)
	}
	return int(n)
}

// setOption sets the SOL_SOCKET options every socket has.
func setOption(ctx Context, so Socket, name int, val []byte) error {
	o := so.Options()
	switch name {
	case unix.SO_RCVTIMEO, unix.SO_SNDTIMEO, soRcvTimeoNew, soSndTimeoNew:
		to, err := decodeTimeval(val)
		if err != nil {
			return err
		}
		o.mu.Lock()
		if name == unix.SO_RCVTIMEO || name == soRcvTimeoNew {
			o.rcvtimeo = to
		} else {
			o.sndtimeo = to
		}
		o.mu.Unlock()
		return nil
	case unix.SO_LINGER:
		if len(val) < 8 {
			return unix.EINVAL
		}
		o.mu.Lock()
		on := int32(binary.LittleEndian.Uint32(val))
		o.linger[0] = boolInt(on != 0)
		o.linger[1] = int32(binary.LittleEndian.Uint32(val[4:]))
		o.mu.Unlock()
		return nil
	}
	if len(val) < 4 {
		if _, ok := recordedInts[name]; ok || isIntOption(name) {
			return unix.EINVAL
		}
		return unix.ENOPROTOOPT
	}
	v := int32(binary.LittleEndian.Uint32(val))
	o.mu.Lock()
	defer o.mu.Unlock()
	switch name {
	case unix.SO_ZEROCOPY:
		// MSG_ZEROCOPY's completions are not produced: refused, as
		// Linux refuses it on sockets that cannot do it.
		return unix.EOPNOTSUPP
	case unix.SO_SNDBUF:
		o.sndbuf = clampBuf(v, MinSndBuf)
	case unix.SO_RCVBUF:
		o.rcvbuf = clampBuf(v, MinRcvBuf)
	case unix.SO_PASSCRED:
		o.passcred = v != 0
	case unix.SO_TIMESTAMP, unix.SO_TIMESTAMPNS, soTimestampNew, soTimestampNSNew:
		// sock_set_timestamp.
		o.tstampNew = name == soTimestampNew || name == soTimestampNSNew
		if v != 0 {
			o.tstampNS = name == unix.SO_TIMESTAMPNS || name == soTimestampNSNew
			o.tstamp = true
		} else {
			o.tstamp, o.tstampNS = false, false
		}
	case soTimestampingOld, soTimestampingNew:
		// sock_set_timestamping: an int or struct so_timestamping.
		f := uint32(v)
		switch {
		case f&^sofMask != 0:
			return unix.EINVAL
		case f&sofTx != 0:
			// kite produces no transmit timestamps (they would
			// come on the error queue): refused rather than
			// never delivered.
			return unix.EOPNOTSUPP
		case f&sofBindPHC != 0:
			// There is no PTP hardware clock to bind to.
			return unix.EOPNOTSUPP
		}
		o.tsflags = f
		o.tstampNew = name == soTimestampingNew
	case unix.SO_MARK:
		if !netAdmin(ctx) {
			return unix.EPERM
		}
		recordInt(o, name, v)
	case unix.SO_PRIORITY:
		if (v < 0 || v > 6) && !netAdmin(ctx) {
			return unix.EPERM
		}
		recordInt(o, name, v)
	case unix.SO_BUSY_POLL:
		if v < 0 {
			return unix.EINVAL
		}
		recordInt(o, name, v)
	case unix.SO_RCVLOWAT:
		if v < 0 {
			v = 1<<31 - 1
		}
		if v == 0 {
			v = 1
		}
		o.rcvlowat = int(v)
	case unix.SO_SNDLOWAT:
		return unix.ENOPROTOOPT
	case unix.SO_TYPE, unix.SO_DOMAIN, unix.SO_PROTOCOL, unix.SO_ERROR, unix.SO_ACCEPTCONN, unix.SO_PEERCRED:
		return unix.ENOPROTOOPT
	default:
		bool, ok := recordedInts[name]
		if !ok {
			return unix.ENOPROTOOPT
		}
		if bool {
			v = boolInt(v != 0)
		}
		recordInt(o, name, v)
	}
	return nil
}

// recordInt keeps an option's value to report it back.
//
// Preconditions: o.mu is held.
func recordInt(o *Options, name int, v int32) {
	if o.ints == nil {
		o.ints = make(map[int]int32)
	}
	o.ints[name] = v
}

// netAdmin is sockopt_ns_capable's test for SO_MARK and high SO_PRIORITY
// values: CAP_NET_RAW or CAP_NET_ADMIN.
func netAdmin(ctx Context) bool {
	c := ctx.Credentials()
	return c.HasCapability(unix.CAP_NET_RAW) || c.HasCapability(unix.CAP_NET_ADMIN)
}

func isIntOption(name int) bool {
	switch name {
	case unix.SO_SNDBUF, unix.SO_RCVBUF, unix.SO_PASSCRED, unix.SO_RCVLOWAT,
		unix.SO_TIMESTAMP, unix.SO_TIMESTAMPNS, soTimestampNew, soTimestampNSNew,
		soTimestampingOld, soTimestampingNew:
		return true
	}
	return false
}

// RangeError is getsockopt's ERANGE for a value longer than the
// caller's buffer when Linux reports the length needed (SO_PEERGROUPS).
type RangeError struct{ Need int }

func (e *RangeError) Error() string { return unix.ERANGE.Error() }

// GetSockOpt carries out getsockopt(2): the family answers first, then
// the layer's SOL_SOCKET options. Levels other than SOL_SOCKET go to the
// family only.
func (f *File) GetSockOpt(ctx Context, level, name, optlen int) ([]byte, error) {
	if level == unix.SOL_SOCKET && name == unix.SO_ERROR {
		if e := f.so.Options().TakePendingError(); e != 0 {
			return putInt(int32(e)), nil
		}
	}
	v, err := f.so.GetSockOpt(ctx, level, name, optlen)
	if err != unix.ENOPROTOOPT || level != unix.SOL_SOCKET {
		return v, err
	}
	return getOption(f.so, name)
}

// SetSockOpt carries out setsockopt(2), dispatched as GetSockOpt.
func (f *File) SetSockOpt(ctx Context, level, name int, val []byte) error {
	err := f.so.SetSockOpt(ctx, level, name, val)
	if err != unix.ENOPROTOOPT || level != unix.SOL_SOCKET {
		return err
	}
	return setOption(ctx, f.so, name, val)
}
