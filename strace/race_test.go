package strace

import (
	"io"
	"sync"
	"testing"
)

// TestConcurrentThreads traces calls of many threads at once: lines may
// interleave but the Tracer must stay consistent (run with -race).
func TestConcurrentThreads(t *testing.T) {
	tr := New(io.Discard)
	mem := newMem().put(0x2000, []byte("data"))
	read := nr(t, "read")
	var wg sync.WaitGroup
	for tid := int32(1); tid <= 8; tid++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := args(0, 0x2000, 4)
			for i := 0; i < 200; i++ {
				tr.Enter(tid, read, a, mem)
				tr.Exit(tid, read, a, 4, nil, mem)
			}
		}()
	}
	wg.Wait()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.calls) != 0 || tr.open != 0 {
		t.Errorf("calls left pending: %d, open line of %d", len(tr.calls), tr.open)
	}
}
