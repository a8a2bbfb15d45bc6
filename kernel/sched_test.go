package kernel

import "testing"

// TestHostSchedLimits checks the host's refusals that SetNice and SetSched
// pass on when kite lacks CAP_SYS_NICE on the host (Linux's can_nice and
// the unprivileged rules of __sched_setscheduler).
func TestHostSchedLimits(t *testing.T) {
	free := HostSchedLimits{}
	if !free.allowsNice(-20) || !free.allowsPolicy(SchedState{Policy: SchedIdle, Nice: 19}, SchedFIFO, 99) {
		t.Fatal("no limits refused a change")
	}
	// RLIMIT_NICE 20 allows nice 0 and up; RLIMIT_RTPRIO 10.
	l := HostSchedLimits{Limited: true, RLimitNice: 20, RLimitRTPrio: 10}
	for _, c := range []struct {
		nice int
		want bool
	}{{19, true}, {0, true}, {-1, false}, {-20, false}} {
		if got := l.allowsNice(c.nice); got != c.want {
			t.Errorf("allowsNice(%d) = %v, want %v", c.nice, got, c.want)
		}
	}
	other := SchedState{Policy: SchedOther}
	for _, c := range []struct {
		name   string
		cur    SchedState
		policy int
		prio   int
		want   bool
	}{
		{"FIFO within RLIMIT_RTPRIO", other, SchedFIFO, 10, true},
		{"FIFO beyond RLIMIT_RTPRIO", other, SchedRR, 11, false},
		{"lowering a priority beyond the limit", SchedState{Policy: SchedFIFO, Priority: 50}, SchedFIFO, 40, true},
		{"raising a priority beyond the limit", SchedState{Policy: SchedFIFO, Priority: 50}, SchedFIFO, 60, false},
		{"to SCHED_BATCH", other, SchedBatch, 0, true},
		{"leaving SCHED_IDLE at nice 0", SchedState{Policy: SchedIdle}, SchedOther, 0, true},
		{"leaving SCHED_IDLE at nice -5", SchedState{Policy: SchedIdle, Nice: -5}, SchedOther, 0, false},
	} {
		if got := l.allowsPolicy(c.cur, c.policy, c.prio); got != c.want {
			t.Errorf("%s: allowsPolicy = %v, want %v", c.name, got, c.want)
		}
	}
	// RLIMIT_NICE 0 allows no lowering at all (SetNice asks only when
	// the value goes down), RLIMIT_RTPRIO 0 no real-time policy.
	none := HostSchedLimits{Limited: true}
	if none.allowsNice(18) {
		t.Error("RLIMIT_NICE 0 allowed nice 18")
	}
	if none.allowsPolicy(other, SchedFIFO, 1) {
		t.Error("RLIMIT_RTPRIO 0 allowed SCHED_FIFO")
	}
}
