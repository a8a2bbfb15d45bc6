package inet

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	glog "gvisor.dev/gvisor/pkg/log"
)

// TestRouteStackLog: the TCP/IP library's warnings reach kite's logger at
// debug level and nothing else (they went to the program's stderr).
func TestRouteStackLog(t *testing.T) {
	defer glog.SetTarget(glog.Log().Emitter)
	var debug, quiet bytes.Buffer
	RouteStackLog(slog.New(slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug})))
	glog.Warningf("segment %d dropped", 7)
	if got := debug.String(); !strings.Contains(got, "tcpip: segment 7 dropped") || !strings.Contains(got, "level=DEBUG") {
		t.Errorf("debug log got %q", got)
	}
	RouteStackLog(slog.New(slog.NewTextHandler(&quiet, &slog.HandlerOptions{Level: slog.LevelWarn})))
	glog.Warningf("segment %d dropped", 8)
	if quiet.Len() != 0 {
		t.Errorf("a warn-level kite log got %q", quiet.String())
	}
}
