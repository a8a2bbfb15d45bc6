// Package bench measures kite against the host kernel in the same run:
// each benchmark runs one program natively and under `kite run` and
// reports both, so that the ratio is what matters, not the machine.
//
//	go test -bench . ./bench
package bench
