package hostsys

import "sync"

// Spares keeps one value (an address space: starting a stub takes a few
// hundred microseconds) made ahead of need, so that a caller takes it and
// the next one is made in the background.
type Spares[T any] struct {
	make    func() (T, error)
	release func(T)

	ready     chan spare[T]
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// spare is a value made ahead, or the error making it.
type spare[T any] struct {
	v   T
	ok  bool
	err error
}

// NewSpares starts keeping a spare made by mk, starting with first;
// release frees a spare left over at Close.
func NewSpares[T any](first T, mk func() (T, error), release func(T)) *Spares[T] {
	s := &Spares[T]{make: mk, release: release, ready: make(chan spare[T]), closed: make(chan struct{})}
	s.wg.Add(1)
	go s.refill(spare[T]{v: first, ok: true})
	return s
}

// Take takes the spare (or the error making it) and has the next one
// made. After Close it returns errClosed.
func (s *Spares[T]) Take(errClosed error) (v T, err error) {
	select {
	case sp := <-s.ready:
		return sp.v, sp.err
	case <-s.closed:
		return v, errClosed
	}
}

func (s *Spares[T]) refill(next spare[T]) {
	defer s.wg.Done()
	for {
		if !next.ok && next.err == nil {
			next.v, next.err = s.make()
			next.ok = next.err == nil
		}
		select {
		case s.ready <- next:
			next = spare[T]{}
		case <-s.closed:
			if next.ok {
				s.release(next.v)
			}
			return
		}
	}
}

// Close stops making spares and releases the one made; it waits for the
// one being made. A nil Spares does nothing.
func (s *Spares[T]) Close() {
	if s == nil {
		return
	}
	s.closeOnce.Do(func() {
		close(s.closed)
		s.wg.Wait()
	})
}
