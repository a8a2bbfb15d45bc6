// Command gosignal receives a SIGUSR1 it sends to itself through
// signal.Notify, and ignores SIGPIPE-free writes.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		fmt.Println("kill:", err)
	}
	select {
	case s := <-ch:
		fmt.Println("got", s)
	case <-time.After(5 * time.Second):
		fmt.Println("timed out")
	}
	signal.Stop(ch)
	signal.Ignore(syscall.SIGUSR2)
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	time.Sleep(10 * time.Millisecond)
	fmt.Println("still running after ignored SIGUSR2")
}
