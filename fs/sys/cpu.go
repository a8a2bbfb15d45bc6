package sys

import (
	"fmt"
	"strings"
)

// cpuDir builds /sys/devices/system/cpu for n CPUs numbered 0 to n-1,
// all possible, present and online (glibc's get_nprocs reads online,
// get_nprocs_conf possible; lscpu and stress-ng read the cpuN
// directories). kite shows every CPU as a core of its own in one package
// (the host's topology is not the application's concern): one thread per
// core, n cores in socket 0.
func cpuDir(b *builder, n int) *dirInode {
	d := b.dir()
	all := cpuList(0, n)
	d.add("online", b.file(all+"\n"))
	d.add("possible", b.file(all+"\n"))
	d.add("present", b.file(all+"\n"))
	d.add("offline", b.file("\n"))
	// kernel_max is NR_CPUS-1: kite's CPU masks are whole longs, as
	// many as n needs.
	d.add("kernel_max", b.file(fmt.Sprintf("%d\n", (n+63)/64*64-1)))
	for i := 0; i < n; i++ {
		c := b.dir()
		topo := b.dir()
		self := cpuMask(n, i, i+1)
		pkg := cpuMask(n, 0, n)
		attrs := map[string]string{
			"core_id":              fmt.Sprint(i),
			"physical_package_id":  "0",
			"die_id":               "0",
			"cluster_id":           "65535", // no cluster, as x86 shows
			"thread_siblings":      self,
			"thread_siblings_list": cpuList(i, i+1),
			"core_cpus":            self,
			"core_cpus_list":       cpuList(i, i+1),
			"cluster_cpus":         self,
			"cluster_cpus_list":    cpuList(i, i+1),
			"core_siblings":        pkg,
			"core_siblings_list":   all,
			"die_cpus":             pkg,
			"die_cpus_list":        all,
			"package_cpus":         pkg,
			"package_cpus_list":    all,
		}
		for name, v := range attrs {
			topo.add(name, b.file(v+"\n"))
		}
		c.add("topology", topo)
		d.add(fmt.Sprintf("cpu%d", i), c)
	}
	return d
}

// cpuList is the list format of CPUs lo to hi-1 ("0", "0-3").
func cpuList(lo, hi int) string {
	if hi-lo == 1 {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi-1)
}

// cpuMask is Linux's bitmap format ("%*pb") of CPUs lo to hi-1 among n:
// hexadecimal words of 32 bits, most significant first, separated by
// commas, the first one as wide as its bits need.
func cpuMask(n, lo, hi int) string {
	var words []string
	for w := (n - 1) / 32; w >= 0; w-- {
		var v uint32
		for bit := 0; bit < 32; bit++ {
			if c := w*32 + bit; c >= lo && c < hi {
				v |= 1 << bit
			}
		}
		width := 8
		if w == (n-1)/32 {
			if r := n % 32; r != 0 {
				width = (r + 3) / 4
			}
		}
		words = append(words, fmt.Sprintf("%0*x", width, v))
	}
	return strings.Join(words, ",")
}
