package kernel

import (
	"time"

	"golang.org/x/sys/unix"
)

// oomWait bounds how long a task whose fault found no memory waits for
// the OOM killer's victim to die before it tries again.
const oomWait = 50 * time.Millisecond

// oomGiveUp bounds how long a fault waits for a victim chosen earlier
// before it gives up (SIGBUS), so that a victim that cannot die quickly
// never makes other processes spin.
const oomGiveUp = time.Second

// oomKill is kite's OOM killer, called when t's fault found the memory
// file full: it kills the process with the most resident memory (SIGKILL,
// with a line on kite's log, as Linux's "Out of memory: Killed process"),
// so that the sandbox, never kite, pays for running out. It waits a
// little for the victim to die (unless the victim is t's own process) and
// reports whether t should retry its access; false if nothing can be
// killed.
func (k *Kernel) oomKill(t *Task) bool {
	type candidate struct {
		tg     *ThreadGroup
		leader *Task
	}
	k.mu.Lock()
	cands := make([]candidate, 0, len(k.groups))
	for _, tg := range k.groups {
		cands = append(cands, candidate{tg, tg.leader})
	}
	k.mu.Unlock()
	var victim *ThreadGroup
	var victimName string
	var most uint64
	for _, c := range cands {
		tg, leader := c.tg, c.leader
		select {
		case <-tg.Done():
			continue
		default:
		}
		if leader == nil {
			continue
		}
		m := leader.MemoryManagerShared()
		if m == nil {
			continue
		}
		if rss := m.Usage().Resident; rss > most {
			victim, victimName, most = tg, leader.Name(), rss
		}
	}
	if victim == nil {
		return false
	}
	k.oomMu.Lock()
	already := k.oomVictim == victim
	k.oomVictim = victim
	k.oomMu.Unlock()
	if !already {
		k.log.Warn("out of memory: killed process", "pid", victim.ID(), "comm", victimName, "rss_kB", most>>10)
		k.Printk(LogErr, "Out of memory: Killed process %d (%s) rss:%dkB", victim.ID(), victimName, most>>10)
		victim.send(nil, kernelSigInfo(int(unix.SIGKILL)))
	}
	if victim == t.tg {
		return true // the pending SIGKILL ends this task
	}
	wait := oomWait
	if already {
		// Someone else's fault chose this victim already: give it
		// longer to die, and if it does not, fail this fault (SIGBUS)
		// rather than spin.
		wait = oomGiveUp
	}
	select {
	case <-victim.Done():
		return true
	case <-time.After(wait):
		return !already
	}
}
