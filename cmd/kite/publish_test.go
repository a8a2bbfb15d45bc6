package main

import "testing"

func TestParsePublish(t *testing.T) {
	good := map[string]string{
		"18080:8080":           "127.0.0.1:18080 -> 8080/tcp",
		"18080:8080/tcp":       "127.0.0.1:18080 -> 8080/tcp",
		"5353:53/udp":          "127.0.0.1:5353 -> 53/udp",
		"127.0.0.2:80:8080":    "127.0.0.2:80 -> 8080/tcp",
		"[::1]:18080:8080/udp": "[::1]:18080 -> 8080/udp",
	}
	for in, want := range good {
		p, err := parsePublish(in)
		if err != nil {
			t.Errorf("parsePublish(%q): %v", in, err)
			continue
		}
		proto := "tcp"
		if p.UDP {
			proto = "udp"
		}
		got := p.Host.String() + " -> " + itoa(int(p.Port)) + "/" + proto
		if got != want {
			t.Errorf("parsePublish(%q) = %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"8080", "0:8080", "18080:0", "18080:70000", "x:8080", "18080:8080/sctp", "1.2.3:80:80"} {
		if _, err := parsePublish(in); err == nil {
			t.Errorf("parsePublish(%q) succeeded", in)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
