package unix

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// dgramTruesize is what a datagram of n bytes costs its sender's
// buffer: the truesize of unix_dgram_sendmsg's sk_buff, a kmalloc'ed
// head of up to SKB_MAX_ALLOC bytes and the rest (at most MAX_SKB_FRAGS
// pages) in page fragments.
func dgramTruesize(n int64) int64 {
	const skbMaxAlloc = 4*skbPage - skbShinfo // SKB_MAX_ORDER(0, 2)
	const maxSkbFrags = 17
	dataLen := int64(0)
	if n > skbMaxAlloc {
		dataLen = pageAlign(min(n-skbMaxAlloc, maxSkbFrags*skbPage))
	}
	return headTruesize(n-dataLen) + dataLen
}

// The sk_buff geometry of Linux's unix_stream_sendmsg on 4 KiB pages: a
// stream write is cut into messages of at most skbMaxHead bytes of head
// and unixFragsSize of page fragments, each charged its truesize, so
// that SIOCOUTQ, how much a nonblocking writer gets in, and when a
// blocked writer wakes (a quarter of SO_SNDBUF in use: a 64 KiB write
// is two messages, and the writer wakes while the reader still has one)
// are Linux's.
const (
	skbPage       = 4096
	skbShinfo     = 320                 // SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
	skbStruct     = 256                 // SKB_DATA_ALIGN(sizeof(struct sk_buff))
	skbMaxHead    = skbPage - skbShinfo // SKB_MAX_HEAD(0)
	unixFragsSize = 32 << 10            // UNIX_SKB_FRAGS_SZ
	maxStreamMsg  = skbMaxHead + unixFragsSize
)

// streamChunk returns the size of the next stream message of a write
// with left bytes to go, and its truesize (unix_stream_sendmsg's
// sock_alloc_send_pskb: a kmalloc'ed head, rounded up to its kmalloc
// size, and page fragments).
func streamChunk(left int64, sndbuf int) (size, truesize int64) {
	size = min(left, int64(sndbuf/2-64), maxStreamMsg)
	dataLen := min(size, pageAlign(max(0, size-skbMaxHead)))
	return size, headTruesize(size-dataLen) + pageAlign(dataLen)
}

// headTruesize is the truesize of an sk_buff whose head holds n bytes:
// SKB_TRUESIZE of the kmalloc size (512 to 4096 here) of the aligned
// head and its skb_shared_info.
func headTruesize(n int64) int64 {
	need := (n+63)&^63 + skbShinfo
	k := int64(512)
	for k < need {
		k <<= 1
	}
	return k + skbStruct
}

func pageAlign(n int64) int64 { return (n + skbPage - 1) &^ (skbPage - 1) }

// sioc* ioctls (SIOCINQ is FIONREAD, SIOCOUTQ is TIOCOUTQ).
const (
	siocInq  = 0x541B
	siocOutq = 0x5411
)

// siocAtMark is SIOCATMARK.
const siocAtMark = 0x8905

// SendMsg implements net.Socket.
func (e *endpoint) SendMsg(ctx net.Context, req *net.SendRequest) (int64, error) {
	switch e.typ {
	case unix.SOCK_STREAM:
		if req.Flags&unix.MSG_OOB != 0 {
			return e.sendOOB(ctx, req)
		}
		return e.sendStream(ctx, req)
	case unix.SOCK_SEQPACKET:
		e.mu.Lock()
		err, connected := e.err, e.state == stateConnected
		if err != 0 {
			e.err = 0
		}
		e.mu.Unlock()
		if err != 0 {
			return 0, err
		}
		if !connected {
			return 0, unix.ENOTCONN
		}
		req.To = nil
	}
	return e.sendDgram(ctx, req)
}

// pipeError is a write to a stream whose peer will read no more: SIGPIPE
// unless MSG_NOSIGNAL, and EPIPE.
func pipeError(ctx net.Context, flags int) error {
	if flags&unix.MSG_NOSIGNAL == 0 {
		net.SendSIGPIPE(ctx)
	}
	return unix.EPIPE
}

// waitForBuffer waits until the sender's buffer has room (wmem below
// SO_SNDBUF): sock_alloc_send_pskb's wait. It returns the pending socket
// error, EPIPE after shutdown, EAGAIN for nonblocking callers, or the
// wait's error. beforeWait, if not nil, runs before each sleep (a stream
// write queues the messages it holds, which the reader must be able to
// take to make room); if it reports false the wait ends with EPIPE.
func (e *endpoint) waitForBuffer(ctx net.Context, w *net.Waiter, nonblock bool, d net.Deadline, beforeWait func() bool) error {
	for {
		e.mu.Lock()
		if e.err != 0 {
			err := e.err
			e.err = 0
			e.mu.Unlock()
			return err
		}
		if e.shutdown&shutSend != 0 {
			e.mu.Unlock()
			return unix.EPIPE
		}
		e.mu.Unlock()
		if e.wmem.Load() < int64(e.opts.SndBuf()) {
			return nil
		}
		e.noSpace.Store(true)
		if nonblock {
			return unix.EAGAIN
		}
		if !w.Registered() {
			// Errors and shutdown notify queue with POLLERR or
			// POLLHUP; room in the buffer notifies sendWait.
			w.Register(&e.queue, unix.POLLERR|unix.POLLHUP)
			w.Register(&e.sendWait, writable)
			continue
		}
		if beforeWait != nil && !beforeWait() {
			return unix.EPIPE
		}
		if err := w.WaitSpin(ctx, d, &e.sendSpin); err != nil {
			return err
		}
	}
}

// credsFor returns the credentials a message carries: those the sender
// gave (SCM_CREDENTIALS), else its own when either end passes
// credentials, else none (maybe_add_creds).
func (e *endpoint) credsFor(ctx net.Context, req *net.SendRequest, to *endpoint) net.Creds {
	if req.Control.Creds != nil {
		return *req.Control.Creds
	}
	if e.opts.PassCred() || to.opts.PassCred() {
		return credsOf(ctx)
	}
	return net.Creds{UID: overflowID, GID: overflowID}
}

// overflowID is the id a message without credentials reports (Linux's
// overflowuid for an invalid id).
const overflowID = 65534

// newBuffer returns a buffer of n bytes for a message.
func (e *endpoint) newBuffer(n int) (*[]byte, []byte) {
	if n <= 4096 || n > maxStreamMsg {
		return nil, make([]byte, n)
	}
	bp := e.fam.bufPool.Get().(*[]byte)
	data := (*bp)[:n]
	// Cleared before the program's bytes are copied in, for speed
	// only: the copy overwrites what the message keeps (a copy that
	// faults cuts data to what it wrote), so no stale byte of a
	// recycled buffer is ever read. On this machine (2-core AMD VM)
	// the copy into a recycled buffer, whose cache lines the reader's
	// CPU read last, costs far more than a clear and then the copy:
	// 1 GiB in 64 KiB writes at SCHED_RR, kite's user time 760-980 ms
	// without the clear against 529-649 ms with it (2026-12-07,
	// bench/README.md; a non-temporal copy instead was no faster).
	clear(data)
	return bp, data
}

// streamBatch is the messages of one stream write not yet queued on the
// peer.
type streamBatch struct {
	msgs  [4]*message
	n     int
	bytes int64
}

// queueBatch queues b's messages on peer, notifies its readers once and
// sends an I/O signal per message (Linux's sk_data_ready per sk_buff). If
// peer reads no more it frees them instead (the files they carry go back
// to req) and reports false. It returns the bytes queued.
func (e *endpoint) queueBatch(ctx net.Context, peer *endpoint, b *streamBatch, req *net.SendRequest) (int64, bool) {
	if b.n == 0 {
		return 0, true
	}
	msgs, n := b.msgs[:b.n], b.bytes
	defer func() {
		clear(b.msgs[:])
		b.n, b.bytes = 0, 0
	}()
	peer.mu.Lock()
	if peer.dead || peer.shutdown&shutRcv != 0 {
		peer.mu.Unlock()
		for _, m := range msgs {
			if len(m.rights) > 0 {
				req.Control.Rights = m.rights
				m.rights = nil
			}
			e.freeMessage(ctx, m)
		}
		return 0, false
	}
	for _, m := range msgs {
		e.fam.noteInFlight(m, 1)
		peer.enqueueLocked(m)
		peer.recvBytes += m.len()
	}
	peer.mu.Unlock()
	peer.queue.Notify(readable)
	for range msgs {
		peer.wakeAsync(vfs.PollIn)
	}
	return n, true
}

// sendStream is unix_stream_sendmsg. The messages of a write are queued
// on the peer together, when the write ends, before it sleeps for room or
// every few messages: a reader running meanwhile on another CPU then
// gets a whole 64 KiB write in one read rather than its first message
// (20,388 reads of 1 GiB in 64 KiB writes took 16,384 so), and a
// sleeping reader wakes once per write.
func (e *endpoint) sendStream(ctx net.Context, req *net.SendRequest) (int64, error) {
	e.mu.Lock()
	state, peer, shut := e.state, e.peer, e.shutdown
	e.mu.Unlock()
	if req.To != nil {
		if state == stateConnected {
			return 0, unix.EISCONN
		}
		return 0, unix.EOPNOTSUPP
	}
	if peer == nil || state != stateConnected {
		return 0, unix.ENOTCONN
	}
	if shut&shutSend != 0 {
		return 0, pipeError(ctx, req.Flags)
	}
	nonblock := req.Nonblock || req.Flags&unix.MSG_DONTWAIT != 0
	var w net.Waiter
	defer w.Unregister()
	var (
		b    streamBatch
		sent int64 // bytes queued on the peer
		err  error // what ended the write early
		pipe bool  // the peer reads no more, or this end sends no more
	)
	// flush queues the batch; false once the peer reads no more.
	flush := func() bool {
		n, ok := e.queueBatch(ctx, peer, &b, req)
		sent += n
		if !ok {
			pipe = true
		}
		return ok
	}
	for sent+b.bytes < req.Len || (req.Len == 0 && sent == 0 && b.n == 0 && len(req.Control.Rights) > 0) {
		sndbuf := e.opts.SndBuf()
		if b.n == len(b.msgs) && !flush() {
			break
		}
		if werr := e.waitForBuffer(ctx, &w, nonblock, req.Deadline, flush); werr != nil {
			if werr == unix.EPIPE {
				pipe = true
			} else {
				err = werr
			}
			break
		}
		size, truesize := streamChunk(req.Len-sent-b.bytes, sndbuf)
		bp, data := e.newBuffer(int(size))
		got, serr := req.Source(data)
		data = data[:got]
		if serr != nil {
			// A fault cut the message short: Linux drops the whole
			// message (unix_stream_sendmsg frees the sk_buff whose
			// copy failed); the write returns what the messages
			// before it carried.
			if bp != nil {
				e.fam.bufPool.Put(bp)
			}
			err = serr
			break
		}
		if int64(got) < size {
			// The source ended early (it had less than it said).
			_, truesize = streamChunk(int64(got), sndbuf)
		}
		m := &message{buf: bp, data: data, from: e, charge: truesize}
		m.creds = e.credsFor(ctx, req, peer)
		user, rerr := e.fam.rightsUser(ctx, &req.Control)
		if rerr != nil {
			if bp != nil {
				e.fam.bufPool.Put(bp)
			}
			err = rerr
			break
		}
		m.rights, m.user, req.Control.Rights = req.Control.Rights, user, nil
		e.wmem.Add(m.charge)
		b.msgs[b.n] = m
		b.n++
		b.bytes += int64(got)
	}
	flush()
	if sent > 0 {
		return sent, nil
	}
	if pipe {
		return 0, pipeError(ctx, req.Flags)
	}
	return 0, err
}

// sendOOB is a stream send with MSG_OOB, as Linux 6's AF_UNIX: all but
// the last byte go as ordinary data, the last becomes the receiver's
// out-of-band byte (replacing an older one, which stays as ordinary
// data), and the receiver's owner gets SIGURG.
func (e *endpoint) sendOOB(ctx net.Context, req *net.SendRequest) (int64, error) {
	if req.Len == 0 {
		return 0, unix.EOPNOTSUPP
	}
	// The ordinary part, or with none only sendmsg's checks (the
	// files, if any, then go with the out-of-band byte).
	sub := *req
	sub.Len = req.Len - 1
	if sub.Len == 0 {
		sub.Control.Rights = nil
	}
	sent, err := e.sendStream(ctx, &sub)
	if sub.Len > 0 {
		req.Control.Rights = sub.Control.Rights
	}
	if err != nil || sent < sub.Len {
		return sent, err
	}
	e.mu.Lock()
	peer := e.peer
	e.mu.Unlock()
	if peer == nil {
		return sent, nil
	}
	var w net.Waiter
	defer w.Unregister()
	// queue_oob waits for room only without MSG_DONTWAIT.
	if err := e.waitForBuffer(ctx, &w, req.Flags&unix.MSG_DONTWAIT != 0, req.Deadline, nil); err != nil {
		if sent > 0 {
			return sent, nil
		}
		return 0, err
	}
	b := make([]byte, 1)
	if got, serr := req.Source(b); got == 0 {
		if sent > 0 {
			return sent, nil
		}
		if serr == nil {
			serr = unix.EFAULT
		}
		return 0, serr
	}
	m := &message{data: b, from: e, charge: headTruesize(1)}
	m.creds = e.credsFor(ctx, req, peer)
	user, err := e.fam.rightsUser(ctx, &req.Control)
	if err != nil {
		if sent > 0 {
			return sent, nil
		}
		return 0, err
	}
	m.rights, m.user, req.Control.Rights = req.Control.Rights, user, nil
	e.wmem.Add(m.charge)
	peer.mu.Lock()
	if peer.dead || peer.shutdown&shutRcv != 0 {
		peer.mu.Unlock()
		req.Control.Rights = m.rights
		m.rights = nil
		e.freeMessage(ctx, m)
		if sent > 0 {
			return sent, nil
		}
		return 0, unix.EPIPE
	}
	e.fam.noteInFlight(m, 1)
	peer.enqueueLocked(m)
	peer.recvBytes++
	peer.oob = m
	f := peer.file
	peer.mu.Unlock()
	// sk_send_sigurg: SIGURG to the owner, and F_SETSIG's signal with
	// POLL_PRI to O_ASYNC owners that chose one.
	if f != nil && f.SendURG() {
		peer.async.KillURG()
	}
	peer.queue.Notify(readable | unix.POLLPRI)
	peer.wakeAsync(vfs.PollIn)
	return sent + 1, nil
}

// sendDgram sends one datagram or record (unix_dgram_sendmsg).
func (e *endpoint) sendDgram(ctx net.Context, req *net.SendRequest) (int64, error) {
	if req.Flags&unix.MSG_OOB != 0 {
		return 0, unix.EOPNOTSUPP
	}
	var to *endpoint
	if req.To != nil {
		if err := validateAddr(req.To); err != nil {
			return 0, err
		}
	} else {
		e.mu.Lock()
		to = e.peer
		e.mu.Unlock()
		if to == nil {
			return 0, unix.ENOTCONN
		}
	}
	if e.opts.PassCred() {
		if err := e.autobind(); err != nil {
			return 0, err
		}
	}
	if req.Len > int64(e.opts.SndBuf()-32) {
		return 0, unix.EMSGSIZE
	}
	nonblock := req.Nonblock || req.Flags&unix.MSG_DONTWAIT != 0
	var w net.Waiter
	defer w.Unregister()
	if err := e.waitForBuffer(ctx, &w, nonblock, req.Deadline, nil); err != nil {
		return 0, err
	}
	w.Unregister()
	data := make([]byte, req.Len)
	got, serr := req.Source(data)
	if serr != nil {
		return 0, serr
	}
	data = data[:got]
	// unix_scm_to_skb: the files' count is checked once, before the
	// destination is found.
	user, err := e.fam.rightsUser(ctx, &req.Control)
	if err != nil {
		return 0, err
	}
	for {
		if to == nil {
			var err error
			if to, err = e.ns.lookup(ctx, req.To, e.typ); err != nil {
				return 0, err
			}
		}
		to.mu.Lock()
		if to != e && to.peer != nil && to.peer != e {
			to.mu.Unlock()
			return 0, unix.EPERM
		}
		if to.dead {
			to.mu.Unlock()
			if e.typ == unix.SOCK_SEQPACKET {
				return 0, unix.EPIPE
			}
			e.mu.Lock()
			wasPeer := e.peer == to
			if wasPeer {
				e.peer = nil
				e.dgramEst = false
			}
			e.mu.Unlock()
			if wasPeer {
				return 0, unix.ECONNREFUSED
			}
			if req.To == nil {
				return 0, unix.ECONNRESET
			}
			to = nil
			continue
		}
		if to.shutdown&shutRcv != 0 {
			to.mu.Unlock()
			return 0, unix.EPIPE
		}
		if to != e && to.peer != e && to.recvqFullLocked() {
			to.mu.Unlock()
			if nonblock {
				return 0, unix.EAGAIN
			}
			if !w.Registered() {
				w.Register(&to.peerWait, writable)
				continue
			}
			if err := w.Wait(ctx, req.Deadline); err != nil {
				return 0, err
			}
			w.Unregister()
			continue
		}
		m := &message{data: data, from: e, charge: dgramTruesize(int64(got))}
		if to.opts.TimestampType() != 0 {
			m.stamp = e.fam.v.Now()
		}
		m.creds = e.credsFor(ctx, req, to)
		m.rights, m.user, req.Control.Rights = req.Control.Rights, user, nil
		e.wmem.Add(m.charge)
		e.fam.noteInFlight(m, 1)
		to.enqueueLocked(m)
		to.recvBytes += got
		to.mu.Unlock()
		to.queue.Notify(readable)
		to.wakeAsync(vfs.PollIn)
		return int64(got), nil
	}
}

// RecvMsg implements net.Socket.
func (e *endpoint) RecvMsg(ctx net.Context, req *net.RecvRequest) (net.RecvResult, error) {
	if e.typ == unix.SOCK_STREAM {
		if req.Flags&unix.MSG_OOB != 0 {
			return e.recvOOB(req)
		}
		return e.recvStream(ctx, req)
	}
	return e.recvDgram(ctx, req)
}

// recvOOB is recv(MSG_OOB) on a stream (unix_stream_recv_urg): the
// out-of-band byte, EINVAL when there is none or SO_OOBINLINE is set.
// The byte stays in the queue, consumed, as the mark ordinary reads stop
// at.
func (e *endpoint) recvOOB(req *net.RecvRequest) (net.RecvResult, error) {
	e.iolock.Lock()
	defer e.iolock.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state != stateConnected {
		return net.RecvResult{}, unix.EINVAL
	}
	m := e.oob
	if m == nil || e.opts.OOBInline() {
		return net.RecvResult{}, unix.EINVAL
	}
	took, serr := req.Sink(m.data[m.off : m.off+1])
	if req.Flags&unix.MSG_PEEK == 0 {
		e.oob = nil
		m.off++
		e.recvBytes--
	}
	if took < 1 {
		if serr == nil {
			serr = unix.EFAULT
		}
		return net.RecvResult{}, serr
	}
	return net.RecvResult{N: 1, Flags: unix.MSG_OOB}, nil
}

// nothingToPeekLocked reports whether every queued message is a consumed
// out-of-band byte or the out-of-band byte read apart: MSG_PEEK has
// nothing to show and waits.
//
// Preconditions: e.mu is held.
func (e *endpoint) nothingToPeekLocked() bool {
	inline := e.opts.OOBInline()
	for _, m := range e.recvq {
		if m.len() > 0 && (m != e.oob || inline) {
			return false
		}
	}
	return true
}

// takeError returns and clears the pending socket error.
//
// Preconditions: e.mu is held.
func (e *endpoint) takeErrorLocked() error {
	if e.err == 0 {
		return nil
	}
	err := e.err
	e.err = 0
	return err
}

// dequeue removes the first message.
//
// Preconditions: e.mu is held.
func (e *endpoint) dequeueLocked() {
	e.recvq[0] = nil
	if len(e.recvq) == 1 {
		// Keep the array for the next message: a queue that
		// empties on every read (a ping-pong) allocates nothing.
		e.recvq = e.recvq[:0]
		return
	}
	e.recvq = e.recvq[1:]
}

// enqueueLocked appends m to the receive queue. The queue's slice walks
// along its array as dequeueLocked takes messages off the front; once it
// reaches the array's end, what is left moves back to the start when
// that fills at most half the array, so a stream whose queue never
// empties (a writer a few writes ahead of its reader) allocates no new
// array for each few messages as append alone would.
//
// Preconditions: e.mu is held.
func (e *endpoint) enqueueLocked(m *message) {
	q, arr := e.recvq, e.recvqArr
	if len(q) == cap(q) && 2*len(q) <= len(arr) && sameArrayEnd(q, arr) {
		n := copy(arr, q)
		clear(arr[n:])
		q = arr[:n]
	}
	q = append(q, m)
	if !sameArrayEnd(q, arr) {
		e.recvqArr = q[:cap(q)]
	}
	e.recvq = q
}

// sameArrayEnd reports whether q is a part of arr that reaches arr's end
// when extended to its capacity.
func sameArrayEnd(q, arr []*message) bool {
	return cap(q) > 0 && len(arr) > 0 && &q[:cap(q)][cap(q)-1] == &arr[len(arr)-1]
}

func (e *endpoint) recvStream(ctx net.Context, req *net.RecvRequest) (net.RecvResult, error) {
	var res net.RecvResult
	e.mu.Lock()
	if e.state != stateConnected {
		e.mu.Unlock()
		return res, unix.EINVAL
	}
	e.mu.Unlock()
	peek := req.Flags&unix.MSG_PEEK != 0
	nonblock := req.Nonblock || req.Flags&unix.MSG_DONTWAIT != 0
	target := int64(1)
	if req.Flags&unix.MSG_WAITALL != 0 {
		target = req.Len
	} else if lw := int64(e.opts.RcvLowat()); lw > 1 {
		target = min(lw, req.Len)
	}
	checkCreds := false
	var creds net.Creds
	var w net.Waiter
	defer w.Unregister()
	// freed holds the messages read, freed once e.mu is dropped; a
	// few fit without allocating.
	var freedBuf [4]*message
	freed := freedBuf[:0]
	defer func() {
		for _, m := range freed {
			e.freeMessage(ctx, m)
		}
	}()
	size := req.Len
	var copied int64
	var err error
	// fromEP is the sender of the first bytes read; its name is
	// looked up after e.mu is dropped (two endpoint locks are never
	// held at once).
	var fromEP *endpoint
	e.iolock.Lock()
	e.mu.Lock()
	for size > 0 {
		if len(e.recvq) == 0 || (peek && e.nothingToPeekLocked()) {
			if copied >= target {
				break
			}
			if err = e.takeErrorLocked(); err != nil {
				break
			}
			if e.shutdown&shutRcv != 0 {
				break
			}
			if nonblock {
				err = unix.EAGAIN
				break
			}
			e.mu.Unlock()
			// What was read is uncharged before sleeping, so the
			// writer can send the rest (MSG_WAITALL).
			for _, m := range freed {
				e.freeMessage(ctx, m)
			}
			freed = freed[:0]
			if !w.Registered() {
				w.Register(&e.queue, readable)
			} else {
				// Other readers may go on while this one sleeps
				// (unix_stream_read_generic drops the iolock).
				e.iolock.Unlock()
				e.readersWaiting.Add(1)
				werr := w.WaitSpin(ctx, req.Deadline, &e.recvSpin)
				e.readersWaiting.Add(-1)
				e.iolock.Lock()
				if werr != nil {
					if copied == 0 {
						err = werr
					}
					e.mu.Lock()
					break
				}
			}
			e.mu.Lock()
			continue
		}
		stop := false
		for i := 0; i < len(e.recvq) && size > 0; i++ {
			m := e.recvq[i]
			// The out-of-band mark (manage_oob): reads stop
			// before it, and one starting at it drops the
			// byte unless SO_OOBINLINE.
			if m.len() == 0 {
				if copied > 0 && (e.oob == nil || m == e.oob) {
					stop = true
					break
				}
				if !peek {
					e.dequeueLocked()
					i--
					freed = append(freed, m)
				}
				continue
			}
			if m == e.oob {
				if copied > 0 {
					stop = true
					break
				}
				inline := e.opts.OOBInline()
				if !peek {
					e.oob = nil
					if !inline {
						// Linux 6.18 leaves the dropped byte in
						// its SIOCINQ count (inq_len is lowered
						// by reads only): so does kite.
						m.off = len(m.data)
						e.dequeueLocked()
						i--
						freed = append(freed, m)
						continue
					}
				} else if !inline {
					continue
				}
			}
			if checkCreds {
				if m.creds != creds {
					stop = true
					break
				}
			} else if req.WantCreds {
				creds = m.creds
				c := creds
				res.Control.Creds = &c
				checkCreds = true
			}
			if fromEP == nil {
				fromEP = m.from
			}
			chunk := m.data[m.off : m.off+int(min(int64(m.len()), size))]
			// The copy runs without mu: the iolock keeps m in the
			// queue and its offset where it is, and the writer may
			// queue meanwhile (enqueueLocked keeps the queue's order,
			// so index i still names m).
			e.mu.Unlock()
			took, serr := req.Sink(chunk)
			e.mu.Lock()
			copied += int64(took)
			size -= int64(took)
			if serr != nil {
				if copied == 0 {
					err = serr
				}
				stop = true
				if !peek {
					m.off += took
					e.recvBytes -= took
				}
				break
			}
			if peek {
				if len(m.rights) > 0 {
					res.Control.Rights = dupFiles(m.rights)
					stop = true
					break
				}
				continue
			}
			m.off += took
			e.recvBytes -= took
			hadRights := len(m.rights) > 0
			if hadRights {
				e.fam.noteInFlight(m, -1)
				res.Control.Rights = m.rights
				m.rights = nil
			}
			if m.len() > 0 {
				stop = true
				break
			}
			e.dequeueLocked()
			i--
			freed = append(freed, m)
			if hadRights {
				stop = true
				break
			}
		}
		if stop || peek {
			break
		}
	}
	e.mu.Unlock()
	e.iolock.Unlock()
	if fromEP != nil {
		res.From = fromEP.nameOrNil()
	}
	if copied > 0 {
		err = nil
	}
	res.N = copied
	return res, err
}

// dupFiles takes a reference to each file (MSG_PEEK of SCM_RIGHTS).
func dupFiles(fs []*vfs.File) []*vfs.File {
	out := make([]*vfs.File, len(fs))
	for i, f := range fs {
		f.IncRef()
		out[i] = f
	}
	return out
}

// nameOrNil is the socket's address for recvfrom, nil when unbound.
func (e *endpoint) nameOrNil() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.addr == nil {
		return nil
	}
	return e.addr.sockaddr()
}

func (e *endpoint) recvDgram(ctx net.Context, req *net.RecvRequest) (net.RecvResult, error) {
	var res net.RecvResult
	if e.typ == unix.SOCK_SEQPACKET {
		e.mu.Lock()
		connected := e.state == stateConnected
		e.mu.Unlock()
		if !connected {
			return res, unix.ENOTCONN
		}
	}
	if req.Flags&unix.MSG_OOB != 0 {
		return res, unix.EOPNOTSUPP
	}
	peek := req.Flags&unix.MSG_PEEK != 0
	nonblock := req.Nonblock || req.Flags&unix.MSG_DONTWAIT != 0
	var w net.Waiter
	defer w.Unregister()
	var m *message
	for {
		e.mu.Lock()
		if err := e.takeErrorLocked(); err != nil {
			e.mu.Unlock()
			return res, err
		}
		if len(e.recvq) > 0 {
			m = e.recvq[0]
			if !peek {
				e.dequeueLocked()
				e.recvBytes -= m.len()
			}
			e.mu.Unlock()
			break
		}
		shut := e.shutdown&shutRcv != 0
		e.mu.Unlock()
		if nonblock {
			if shut && e.typ == unix.SOCK_SEQPACKET {
				return res, nil
			}
			return res, unix.EAGAIN
		}
		if shut {
			return res, nil
		}
		if !w.Registered() {
			w.Register(&e.queue, readable)
			continue
		}
		if err := w.Wait(ctx, req.Deadline); err != nil {
			return res, err
		}
	}
	if !peek {
		// Senders waiting for room, and pollers of a sender whose
		// writability depends on this queue (unix_dgram_peer_wake_me).
		e.peerWait.Notify(writable)
		if m.from != e {
			m.from.queue.Notify(writable)
		}
	}
	res.From = m.from.nameOrNil()
	n := int64(m.len())
	chunk := m.data[m.off:]
	if int64(len(chunk)) > req.Len {
		chunk = chunk[:req.Len]
		res.Flags |= unix.MSG_TRUNC
	}
	took, serr := req.Sink(chunk)
	if tt := e.opts.TimestampType(); tt != 0 {
		// Received before the option was set: stamped now, as
		// __sock_recv_timestamp does.
		res.Control.Stamp, res.Control.StampType = m.stamp, tt
		if m.stamp.IsZero() {
			res.Control.Stamp = e.fam.v.Now()
		}
	}
	if req.WantCreds {
		c := m.creds
		res.Control.Creds = &c
	}
	if peek {
		res.Control.Rights = dupFiles(m.rights)
	} else {
		e.fam.noteInFlight(m, -1)
		res.Control.Rights = m.rights
		m.rights = nil
		e.freeMessage(ctx, m)
	}
	if serr != nil {
		res.Control.Release(ctx)
		return net.RecvResult{}, serr
	}
	res.N = int64(took)
	if req.Flags&unix.MSG_TRUNC != 0 {
		res.N = n
	}
	return res, nil
}

// writableLocked reports unix_writable: not listening and at most a
// quarter of the send buffer in use.
//
// Preconditions: e.mu is held.
func (e *endpoint) writableLocked() bool {
	return e.state != stateListening && e.wmem.Load()<<2 <= int64(e.opts.SndBuf())
}

// Readiness implements vfs.Waitable, as unix_poll (streams) and
// unix_dgram_poll (datagrams and records).
func (e *endpoint) Readiness(mask uint32) uint32 {
	var r uint32
	e.mu.Lock()
	if e.err != 0 {
		r |= unix.POLLERR
	}
	if e.shutdown == shutBoth {
		r |= unix.POLLHUP
	}
	if e.shutdown&shutRcv != 0 {
		r |= unix.POLLRDHUP | readable
	}
	if len(e.recvq) > 0 {
		r |= readable
	}
	if e.oob != nil {
		r |= unix.POLLPRI
	}
	if e.connectionBased() && e.state == stateUnconnected {
		r |= unix.POLLHUP
	}
	w := e.writableLocked()
	peer := e.peer
	e.mu.Unlock()
	if w && e.typ == unix.SOCK_DGRAM && peer != nil && peer != e {
		peer.mu.Lock()
		if peer.peer != e && peer.recvqFullLocked() {
			w = false
		}
		peer.mu.Unlock()
	}
	if w {
		r |= writable
	} else if e.typ != unix.SOCK_STREAM && mask&writable != 0 {
		// unix_dgram_poll: room later gives POLL_OUT.
		e.noSpace.Store(true)
	}
	return r & (mask | unix.POLLERR | unix.POLLHUP)
}

// Ioctl implements net.Socket: SIOCINQ (FIONREAD) and SIOCOUTQ.
func (e *endpoint) Ioctl(ctx net.Context, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	var v int64
	switch cmd {
	case siocInq:
		e.mu.Lock()
		if e.state == stateListening {
			e.mu.Unlock()
			return 0, unix.EINVAL
		}
		if e.typ == unix.SOCK_DGRAM {
			if len(e.recvq) > 0 {
				v = int64(e.recvq[0].len())
			}
		} else {
			v = int64(e.recvBytes)
		}
		e.mu.Unlock()
	case siocOutq:
		v = e.wmem.Load()
	case siocAtMark:
		// unix_ioctl: at the mark when the first message is the
		// out-of-band byte, or a consumed one with the next (if
		// any) the current out-of-band byte.
		e.mu.Lock()
		if len(e.recvq) > 0 {
			m := e.recvq[0]
			var next *message
			if len(e.recvq) > 1 {
				next = e.recvq[1]
			}
			if m == e.oob || (m.len() == 0 && (e.oob == nil || next == e.oob)) {
				v = 1
			}
		}
		e.mu.Unlock()
	default:
		return 0, unix.ENOTTY
	}
	b := intBytes(int32(v))
	if _, err := io.CopyOut(arg, b); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}
