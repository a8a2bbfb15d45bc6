// Command gohttp serves HTTP with net/http on 127.0.0.1 and on [::1]
// (ports the kernel picks) and fetches from itself: plain GETs, a POST
// with a large body, concurrent keep-alive requests and a shutdown.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
)

func serve(network, addr string) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		fmt.Println("listen:", err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("name"))
	})
	mux.HandleFunc("/sum", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d %x", n, h.Sum(nil)[:8])
	})
	srv := &http.Server{Handler: mux}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{}

	resp, err := client.Get(base + "/hello?name=kite")
	if err != nil {
		fmt.Println("get:", err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("%s GET %d %q\n", network, resp.StatusCode, b)

	resp, err = client.Get(base + "/missing")
	if err == nil {
		resp.Body.Close()
		fmt.Printf("%s GET missing %d\n", network, resp.StatusCode)
	}

	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	resp, err = client.Post(base+"/sum", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		fmt.Println("post:", err)
		return
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("%s POST %q\n", network, b)

	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := client.Get(fmt.Sprintf("%s/hello?name=%d", base, i))
			if err != nil {
				return
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if string(b) == fmt.Sprintf("hello %d", i) {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	fmt.Printf("%s concurrent ok %d\n", network, ok)
	srv.Shutdown(context.Background())
	fmt.Printf("%s serve returned: %v\n", network, <-done)
	_, err = client.Get(base + "/hello")
	fmt.Printf("%s after shutdown refused: %v\n", network, err != nil)
}

func main() {
	serve("tcp4", "127.0.0.1:0")
	serve("tcp6", "[::1]:0")
}
