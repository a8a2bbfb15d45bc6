// Command kite is the kite kernel's command line: `kite run` runs a Linux
// program under kite; other verbs build images and act as an OCI runtime.
// It holds flags and wiring only: every subsystem lives in its own package.
package main
