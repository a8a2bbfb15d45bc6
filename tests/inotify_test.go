package tests

import "testing"

// TestInotifyPrograms runs file watchers on the host and under kite:
// inotifywait (inotify-tools) seeing files that another process creates,
// writes, renames and removes, and tail -F following a rotated log. The
// scripts synchronise through FIFOs (inotifywait's "Watches established."
// and tail's output lines), never by sleeping.
func TestInotifyPrograms(t *testing.T) {
	t.Run("inotifywait", func(t *testing.T) {
		need(t, "/usr/bin/inotifywait", "/bin/sh")
		compare(t, nil, "/bin/sh", "-c", `set -e
d=$(mktemp -d /tmp/kite-iw-XXXXXX)
mkfifo $d.out $d.err
inotifywait -m -e create,close_write,moved_from,moved_to,delete --format '%e %f' $d > $d.out 2>$d.err &
iw=$!
exec 3<$d.out 4<$d.err
read msg <&4; echo "$msg"
read msg <&4; echo "$msg"
sh -c "echo hello > $d/newfile"
for i in 1 2; do read ev <&3; echo "$ev"; done
mv $d/newfile $d/renamed
for i in 1 2; do read ev <&3; echo "$ev"; done
rm $d/renamed
read ev <&3; echo "$ev"
kill $iw
wait $iw 2>/dev/null || echo "inotifywait ended with $?"
rm -rf $d $d.out $d.err`)
	})
	t.Run("tail-F", func(t *testing.T) {
		need(t, "/usr/bin/tail", "/bin/sh")
		// dash reports the killed tail ("Terminated") on stderr or not
		// depending on whether it is already dead when wait runs (the
		// host does both, e.g. under strace): wait's stderr is dropped.
		compare(t, nil, "/bin/sh", "-c", `set -e
d=$(mktemp -d /tmp/kite-tail-XXXXXX)
cd $d
echo one > log
mkfifo fifo
tail -n +1 -F log > fifo 2>err &
tp=$!
exec 3<fifo
read a <&3; echo "got $a"
mv log log.1
echo two > log
read b <&3; echo "got $b"
echo three >> log
read c <&3; echo "got $c"
kill $tp
wait $tp 2>/dev/null || echo "tail ended with $?"
cd / && rm -rf $d`)
	})
}
