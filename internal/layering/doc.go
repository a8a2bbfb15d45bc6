// Package layering holds the test that keeps kite's imports pointing
// downwards: layering_test.go encodes DESIGN.md's layers as data (a table
// of package patterns and their layer) and fails when a package imports
// one of a higher layer, imports within its own layer where the layer
// forbids it (file systems do not import each other), is missing from the
// table (so that a new package gets a place before it lands), or breaks
// the rules on unsafe and on gVisor (only net/inet may import
// gvisor.dev/gvisor/pkg/tcpip). It has no code of its own.
package layering
