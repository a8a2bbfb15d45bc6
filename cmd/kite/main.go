package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
)

// version is kite's version; release builds override it with -ldflags.
var version = "0.1.0-dev"

// A verb is one `kite VERB` subcommand.
type verb struct {
	run  func(args []string) int // returns the exit status
	help string                  // one line for `kite help`
}

// verbs maps each verb name to its implementation. Verbs living in other
// files register themselves from init.
var verbs = map[string]verb{
	"version": {run: versionMain, help: "print kite's version"},
}

func main() {
	setProcs()
	startProfile()
	code := dispatch(os.Args[1:])
	stopProfile()
	os.Exit(code)
}

// startProfile writes a CPU profile of kite itself to $KITE_CPUPROFILE
// (for finding where kite's time goes: go tool pprof kite FILE) and
// records every allocation for an allocation profile written to
// $KITE_MEMPROFILE at exit (go tool pprof -sample_index=alloc_objects
// kite FILE; it lags by up to one GC cycle). Without the variables it
// does nothing.
func startProfile() {
	var stops []func()
	if name := os.Getenv("KITE_CPUPROFILE"); name != "" {
		if f, err := os.Create(name); err != nil {
			fmt.Fprintf(os.Stderr, "kite: KITE_CPUPROFILE: %v\n", err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "kite: KITE_CPUPROFILE: %v\n", err)
			f.Close()
		} else {
			stops = append(stops, func() {
				pprof.StopCPUProfile()
				f.Close()
			})
		}
	}
	if name := os.Getenv("KITE_MEMPROFILE"); name != "" {
		runtime.MemProfileRate = 1
		stops = append(stops, func() {
			f, err := os.Create(name)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "kite: KITE_MEMPROFILE: %v\n", err)
			}
		})
	}
	if len(stops) > 0 {
		stopProfile = func() {
			for _, stop := range stops {
				stop()
			}
			stops = nil
		}
	}
}

// stopProfile ends the profiles before an exit that does not return
// through main (a fatal signal's re-raise); a second call does nothing.
var stopProfile = func() {}

func dispatch(args []string) int {
	if len(args) == 0 {
		usage(os.Stderr)
		return 2
	}
	if strings.HasPrefix(args[0], "-") && !isHelpFlag(args[0]) {
		// runc's global flags come before the verb.
		rest, err := parseOCIGlobals(args)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kite: %v\n", err)
			return 2
		}
		if len(rest) == 0 {
			usage(os.Stderr)
			return 2
		}
		args = rest
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			if v, ok := verbs[args[1]]; ok {
				return v.run([]string{"--help"})
			}
			fmt.Fprintf(os.Stderr, "kite: unknown verb %q\n", args[1])
			return 2
		}
		usage(os.Stdout)
		return 0
	}
	v, ok := verbs[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "kite: unknown verb %q (see 'kite help')\n", name)
		return 2
	}
	return v.run(args[1:])
}

func usage(w *os.File) {
	fmt.Fprintf(w, "kite %s: a Linux-compatible kernel that runs Linux programs\n\nUsage: kite VERB [FLAGS] [ARGS]\n\nVerbs:\n", version)
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, verbs[n].help)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "help", "show this help, or `kite help VERB` for a verb's flags")
}

func versionMain(args []string) int {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fmt.Println("Usage: kite version\n\nPrints kite's version.")
			return 0
		}
		fmt.Fprintf(os.Stderr, "kite version: unexpected argument %q\n", strings.TrimSpace(a))
		return 2
	}
	fmt.Printf("kite %s\n", version)
	return 0
}
