package syscalls

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/kite-os/kite/mm"
)

// TestIOVBufferRanges checks iovBuffer.ranges (a binary search for the
// first iovec, or a scan for short vectors) against a scan from the
// first iovec, over vectors of up to IOV_MAX iovecs with empty ones
// among them.
func TestIOVBufferRanges(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	scan := func(iovs []iovec, at, n int64) []mm.Range {
		var rs []mm.Range
		for _, v := range iovs {
			l := int64(v.len)
			if n <= 0 {
				break
			}
			if at >= l {
				at -= l
				continue
			}
			k := min(l-at, n)
			rs = append(rs, mm.Range{Addr: v.base + uintptr(at), Len: int(k)})
			at, n = 0, n-k
		}
		return rs
	}
	for round := 0; round < 50; round++ {
		count := 1 + rng.Intn(uioMaxIOV)
		if round%2 == 0 {
			count = 1 + rng.Intn(2*iovSearchMin) // scanned and searched
		}
		iovs := make([]iovec, count)
		var total int64
		for i := range iovs {
			iovs[i] = iovec{base: uintptr(0x10000 + i*0x100000), len: uintptr(rng.Intn(3) * rng.Intn(5000))}
			total += int64(iovs[i].len)
		}
		u := newIOVBuffer(nil, iovs)
		for q := 0; q < 200; q++ {
			at := rng.Int63n(total + 2)
			n := rng.Int63n(total/4 + 2)
			if got, want := u.ranges(at, n), scan(iovs, at, n); !slices.Equal(got, want) {
				t.Fatalf("round %d: ranges(%d, %d) = %v, want %v", round, at, n, got, want)
			}
		}
	}
}
