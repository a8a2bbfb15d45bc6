package inet

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	glog "gvisor.dev/gvisor/pkg/log"
)

// RouteStackLog sends the TCP/IP library's own log lines (it reports
// dropped segments, refused handshakes and the like as warnings) to log
// at debug level. By default the library writes them to kite's stderr,
// which is the program's stderr too: a line there is output the program
// never wrote. The library's logger is process-wide, so only kite's
// command sets it, once, before any stack exists.
func RouteStackLog(log *slog.Logger) {
	glog.SetTarget(stackLog{log})
}

// stackLog is a gVisor log emitter writing through a slog.Logger.
type stackLog struct{ log *slog.Logger }

// Emit implements the library's Emitter.
func (s stackLog) Emit(_ int, level glog.Level, _ time.Time, format string, v ...any) {
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	s.log.Debug("tcpip: "+fmt.Sprintf(format, v...), "level", level.String())
}
