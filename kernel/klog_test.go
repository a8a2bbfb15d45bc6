package kernel

import (
	"strings"
	"testing"
)

func TestKlogReadAllAndOverflow(t *testing.T) {
	k := &Kernel{}
	k.Printk(LogNotice, "first")
	k.Printk(LogErr, "second")
	all := string(k.KlogReadAll(1<<20, false))
	lines := strings.Split(strings.TrimSuffix(all, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "<5>[") || !strings.HasSuffix(lines[0], "] first") ||
		!strings.HasPrefix(lines[1], "<3>[") || !strings.HasSuffix(lines[1], "] second") {
		t.Fatalf("READ_ALL: %q", all)
	}
	// Only the newest whole records that fit.
	if got := string(k.KlogReadAll(len(lines[1])+1, false)); got != lines[1]+"\n" {
		t.Errorf("READ_ALL of one record's size: %q", got)
	}
	if got := k.KlogReadAll(5, false); len(got) != 0 {
		t.Errorf("READ_ALL of 5 bytes: %q", got)
	}
	if n := k.KlogUnread(); n != len(all) {
		t.Errorf("SIZE_UNREAD %d, want %d", n, len(all))
	}
	// READ_CLEAR returns the records, later reads start after them.
	if got := string(k.KlogReadAll(1<<20, true)); got != all {
		t.Errorf("READ_CLEAR: %q", got)
	}
	if got := k.KlogReadAll(1<<20, false); len(got) != 0 {
		t.Errorf("READ_ALL after clearing: %q", got)
	}
	// The buffer keeps the newest records within its size.
	long := strings.Repeat("x", 1000)
	for i := 0; i < 2*KlogBufferLen/1000; i++ {
		k.Printk(LogInfo, "%s", long)
	}
	k.klog.mu.Lock()
	size, n := k.klog.size, len(k.klog.recs)
	k.klog.mu.Unlock()
	if size > KlogBufferLen || n == 0 {
		t.Errorf("after overflowing: %d bytes in %d records", size, n)
	}
	if n := k.KlogUnread(); n != size {
		t.Errorf("SIZE_UNREAD after overflowing %d, want %d", n, size)
	}
}
