package unix

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

type benchCtx struct{ vfs.KernelContext }

// benchCreds are made once: a task's Credentials returns its current
// ones without allocating.
var benchCreds = auth.New(1000, 1000, nil)

func (benchCtx) Credentials() *auth.Credentials { return benchCreds }

// BenchmarkStreamWriteRead is kite's own socket code for one 64 KiB
// write and one 64 KiB read on an AF_UNIX stream pair, in one goroutine
// (no wake-ups, no trapped calls): what UnixStreamThroughput's kite side
// costs beyond the platform. -benchmem gives the allocations per pair.
func BenchmarkStreamWriteRead(b *testing.B) {
	ctx := benchCtx{}
	a, c, err := New(vfs.New()).Pair(ctx, unix.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	src := make([]byte, 64<<10)
	dst := make([]byte, 64<<10)
	source := func(p []byte) (int, error) { return copy(p, src), nil }
	sink := func(p []byte) (int, error) { return copy(dst, p), nil }
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := a.SendMsg(ctx, &net.SendRequest{Len: int64(len(src)), Source: source}); n != int64(len(src)) || err != nil {
			b.Fatalf("send %d %v", n, err)
		}
		got := int64(0)
		for got < int64(len(src)) {
			r, err := c.RecvMsg(ctx, &net.RecvRequest{Len: int64(len(dst)), Sink: sink})
			if err != nil {
				b.Fatalf("recv %v", err)
			}
			got += r.N
		}
	}
}
