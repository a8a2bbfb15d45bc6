package tests

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyscallFuzz runs the system-call fuzzer (fuzzprogs/sysfuzz.c) under
// kite for a few fixed seeds: random calls with random arguments and bad
// pointers on sockets of every family, pseudo-terminals, eventfd,
// timerfd, signalfd, inotify, memfd, epoll, namespaces, keys and memory
// mappings. kite must not panic or hang, and every child must end when
// killed. Longer campaigns: `kite run -- sysfuzz SEED ROUNDS`; one round
// with each call printed: `kite run -- sysfuzz -1 SEED ROUND`.
func TestSyscallFuzz(t *testing.T) {
	src, _ := filepath.Abs("fuzzprogs/sysfuzz.c")
	bin := buildC(t, src, variants[0])
	const rounds = 15
	for _, seed := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--", bin, fmt.Sprint(seed), fmt.Sprint(rounds)))
			done := fmt.Sprintf("sysfuzz: %d rounds from seed %d done", rounds, seed)
			if r.status != "exit 0" || !strings.Contains(r.stdout, done) || strings.Contains(r.stderr, "panic") {
				t.Errorf("sysfuzz seed %d under kite:\n%s", seed, r)
			}
		})
	}
}
