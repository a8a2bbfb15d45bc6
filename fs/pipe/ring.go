package pipe

// ring is a pipe's occupied buffers, oldest first, in a circular array
// whose length is a power of two: taking the oldest buffer and adding a
// newest one move no other entries (a 1 GiB stream through a 16-page
// pipe takes and adds 262,144 buffers), and the array is kept as the
// pipe empties and fills.
type ring struct {
	bufs []*buffer // len(bufs) is zero or a power of two
	head int       // index of the oldest buffer
	n    int       // buffers held
}

// len returns the number of buffers held.
func (r *ring) len() int { return r.n }

// at returns the i'th oldest buffer (0 <= i < r.len()).
func (r *ring) at(i int) *buffer { return r.bufs[(r.head+i)&(len(r.bufs)-1)] }

// first returns the oldest buffer and last the newest (r.len() > 0).
func (r *ring) first() *buffer { return r.bufs[r.head] }
func (r *ring) last() *buffer  { return r.at(r.n - 1) }

// grow makes room for one more buffer.
func (r *ring) grow() {
	if r.n < len(r.bufs) {
		return
	}
	size := max(2*len(r.bufs), DefaultSize/pageSize)
	bufs := make([]*buffer, size)
	for i := range r.n {
		bufs[i] = r.at(i)
	}
	r.bufs, r.head = bufs, 0
}

// push adds b as the newest buffer.
func (r *ring) push(b *buffer) {
	r.grow()
	r.bufs[(r.head+r.n)&(len(r.bufs)-1)] = b
	r.n++
}

// pushFront adds b as the oldest buffer.
func (r *ring) pushFront(b *buffer) {
	r.grow()
	r.head = (r.head - 1) & (len(r.bufs) - 1)
	r.bufs[r.head] = b
	r.n++
}

// pop removes and returns the oldest buffer (r.len() > 0).
func (r *ring) pop() *buffer {
	b := r.bufs[r.head]
	r.bufs[r.head] = nil
	r.head = (r.head + 1) & (len(r.bufs) - 1)
	r.n--
	return b
}
