package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
)

func init() {
	verbs["do"] = verb{run: doMain, help: "run a host program in a throw-away sandbox"}
}

const doUsage = `Usage: kite do [--net none|host] [--rw DIR]... [--strace] [--debug] -- PROGRAM [ARGS...]

Runs one of the host's programs under kite in a throw-away sandbox: the
root is the host's / under a private in-memory layer, so the program may
write anywhere and nothing it writes reaches the host, except under the
host directories given with --rw, whose changes go through to the host;
/proc, /sys, /dev and /tmp are kite's own (a --rw directory under /tmp is
the host's, mounted over kite's /tmp). The working directory, environment and terminal are
the caller's. PROGRAM is looked up in $PATH when it has no slash. kite
exits with the program's exit status, or 128+N when signal N killed it.

Flags:
`

// parseDoFlags parses `kite do`'s arguments into run options. It returns a
// status >= 0 when the command must stop there (help or an error,
// already reported).
func parseDoFlags(args []string, stderr io.Writer) (runOptions, int) {
	o := runOptions{rootfs: "/", overlay: true, platform: defaultPlatform()}
	fs := flag.NewFlagSet("do", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	network := fs.String("net", "none", "the network the program sees: none (kite's loopback) or host (host sockets kite drives)")
	var rw []string
	fs.Func("rw", "let writes under this host directory through to the host (repeatable)", func(s string) error {
		dir, err := rwDir(s)
		if err != nil {
			return err
		}
		rw = append(rw, dir)
		return nil
	})
	fs.BoolVar(&o.strace, "strace", false, "print every system call of the program on stderr")
	fs.BoolFunc("vdso", "map the vDSO (clock_gettime, gettimeofday and time without a system call); --vdso=false makes them system calls", vdsoFlag(&o))
	fs.BoolVar(&o.debug, "debug", false, "log kite's internal events on stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			fmt.Print(doUsage)
			fs.PrintDefaults()
			return o, 0
		}
		fmt.Fprintf(stderr, "kite do: %v\n", err)
		return o, 2
	}
	switch *network {
	case "none", "host":
		o.network = *network
	default:
		fmt.Fprintf(stderr, "kite do: unknown network %q (none or host)\n", *network)
		return o, 2
	}
	// Outer directories first, so that a nested one is mounted on top.
	sort.Slice(rw, func(a, b int) bool { return len(rw[a]) < len(rw[b]) })
	o.rwDirs = rw
	o.argv = fs.Args()
	if len(o.argv) == 0 {
		fmt.Fprintln(stderr, "kite do: missing program (usage: kite do [FLAGS] -- PROGRAM [ARGS...])")
		return o, 2
	}
	return o, -1
}

// rwDir checks a --rw argument: an existing host directory, made
// absolute against the working directory with symlinks resolved (it is
// the caller's configuration, resolved by the host), so that the program
// sees it where the caller does.
func rwDir(s string) (string, error) {
	dir, err := filepath.Abs(s)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return "", fmt.Errorf("--rw %s: %w", s, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("--rw %s: %w", s, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("--rw %s: not a directory", s)
	}
	return dir, nil
}

func doMain(args []string) int {
	o, status := parseDoFlags(args, os.Stderr)
	if status >= 0 {
		return status
	}
	level := slog.LevelWarn
	if o.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	code, err := boot(o, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kite: %s\n", describeError(o.argv[0], err))
	}
	return code
}
