package hostsys

import (
	"sync"

	"github.com/kite-os/kite/platform"
)

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

// Launcher is the part of a stub platform that starts stubs: the stub
// executable and the address space started ahead. A platform embeds it
// for NewAddressSpace and Close.
type Launcher[T platform.AddressSpace] struct {
	stub      *Stub
	spares    *Spares[T]
	errClosed error
}

// Init sets l up; errClosed is what NewAddressSpace returns after Close.
func (l *Launcher[T]) Init(stub *Stub, errClosed error) {
	l.stub, l.errClosed = stub, errClosed
}

// Stub is the stub executable.
func (l *Launcher[T]) Stub() *Stub { return l.stub }

// StartSpares keeps an address space made by mk ready, starting with
// first; release frees the one left at Close.
func (l *Launcher[T]) StartSpares(first T, mk func() (T, error), release func(T)) {
	l.spares = NewSpares(first, mk, release)
}

// NewAddressSpace implements platform.Platform. Starting a stub takes a
// few hundred microseconds, so the platform keeps one started ahead: the
// caller takes it and the next one starts in the background.
func (l *Launcher[T]) NewAddressSpace() (platform.AddressSpace, error) {
	a, err := l.spares.Take(l.errClosed)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Close releases the platform's own host resources (not the memory file):
// the spare address space and the stub executable. Address spaces and
// Contexts must be released first. Without Close, what is left dies with
// kite.
func (l *Launcher[T]) Close() error {
	l.spares.Close()
	return l.stub.Close()
}
