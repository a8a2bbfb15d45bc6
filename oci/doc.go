// Package oci reads OCI runtime bundles (config.json, as the OCI runtime
// specification defines it), compiles a bundle's linux.seccomp profile
// into a classic BPF filter as libseccomp would, and keeps the state of
// containers in a runtime root directory the way runc does, so that
// container engines can drive kite with runc's command line.
//
// oci imports bpf and abi/linux; it never imports the kernel: cmd/kite
// turns a Spec into a kernel's configuration.
package oci
