// Command gcstress allocates heavily on 4 threads so that the garbage
// collector runs concurrently with them.
package main

import (
	"fmt"
	"runtime"
	"sync"
)

type node struct {
	next *node
	data [64]byte
}

func churn(seed int) int {
	var keep *node
	sum := 0
	for i := 0; i < 200000; i++ {
		n := &node{next: keep}
		n.data[0] = byte(i + seed)
		if i%1000 == 0 {
			keep = nil
		} else {
			keep = n
		}
		sum += int(n.data[0])
	}
	return sum
}

func main() {
	runtime.GOMAXPROCS(4)
	var wg sync.WaitGroup
	results := make([]int, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			results[w] = churn(w)
		}(w)
	}
	wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("results:", results)
	fmt.Println("gc ran:", ms.NumGC > 0)
}
