// Command gopipes moves data through os.Pipe, net.Pipe and an os/exec
// pipeline, with a time.Ticker and pipe read deadlines (the Go netpoller
// runs on epoll and an eventfd).
package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

func osPipe() {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println("os.Pipe:", err)
		return
	}
	go func() {
		for i := 0; i < 1000; i++ {
			fmt.Fprintf(w, "line %d\n", i)
		}
		w.Close()
	}()
	h := sha256.New()
	n, _ := io.Copy(h, r)
	fmt.Printf("os.Pipe: %d bytes, sha256 %x\n", n, h.Sum(nil)[:8])
	r.Close()

	r, w, _ = os.Pipe()
	r.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = r.Read(make([]byte, 1))
	fmt.Println("read deadline:", os.IsTimeout(err))
	r.Close()
	w.Close()
}

func netPipe() {
	a, b := net.Pipe()
	reply := make(chan string)
	go func() {
		a.Write([]byte("ping"))
		buf := make([]byte, 4)
		io.ReadFull(a, buf)
		a.Close()
		reply <- string(buf)
	}()
	buf := make([]byte, 4)
	io.ReadFull(b, buf)
	b.Write([]byte("pong"))
	io.Copy(io.Discard, b)
	fmt.Println("net.Pipe got:", string(buf), "reply:", <-reply)
}

func pipeline() {
	cmd := exec.Command("/bin/busybox", "sort", "-r")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Start()
	go func() {
		for _, w := range []string{"b", "c", "a"} {
			fmt.Fprintln(in, w)
		}
		in.Close()
	}()
	sc := bufio.NewScanner(out)
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	err := cmd.Wait()
	fmt.Println("pipeline:", strings.Join(got, ","), err)
}

func ticker() {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	deadline := time.After(2 * time.Second)
	n := 0
	for n < 10 {
		select {
		case <-t.C:
			n++
		case <-deadline:
			fmt.Println("ticker too slow")
			return
		}
	}
	fmt.Println("ticker: 10 ticks")
}

func main() {
	osPipe()
	netPipe()
	pipeline()
	ticker()
}
