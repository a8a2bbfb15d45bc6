// Package goprogs holds Go programs that the differential tests build with
// CGO_ENABLED=0 and run on the host and under kite. Each subdirectory is
// one program.
package goprogs
