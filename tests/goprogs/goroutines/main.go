// Command goroutines plays channel ping-pong between 100 goroutines,
// sleeps, and recovers a panic.
package main

import (
	"fmt"
	"sync"
	"time"
)

func pingPong(n, rounds int) int {
	chans := make([]chan int, n+1)
	for i := range chans {
		chans[i] = make(chan int)
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(in, out chan int) {
			defer wg.Done()
			for v := range in {
				out <- v + 1
			}
			close(out)
		}(chans[i], chans[i+1])
	}
	total := 0
	go func() {
		for r := 0; r < rounds; r++ {
			chans[0] <- r
		}
		close(chans[0])
	}()
	for v := range chans[n] {
		total += v
	}
	wg.Wait()
	return total
}

func recovered() (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint("recovered: ", r)
		}
	}()
	var m map[string]int
	m["boom"] = 1
	return "not reached"
}

func main() {
	fmt.Println("ping-pong total:", pingPong(100, 200))
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	fmt.Println("slept at least 20ms:", time.Since(start) >= 20*time.Millisecond)
	fmt.Println(recovered())
	tick := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 3; i++ {
		<-tick.C
	}
	tick.Stop()
	fmt.Println("ticker fired 3 times")
}
