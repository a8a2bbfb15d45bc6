package ext4

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// corrupt returns an error for inconsistent on-disk metadata. It wraps
// EUCLEAN ("structure needs cleaning"), the errno Linux's ext4 returns for
// the same condition, so errors.Is(err, unix.EUCLEAN) holds.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("ext4: corrupt file system: %s: %w", fmt.Sprintf(format, args...), unix.EUCLEAN)
}

// unsupported returns an error for a valid file system that uses a feature
// this package does not implement.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("ext4: unsupported: %s: %w", fmt.Sprintf(format, args...), unix.EINVAL)
}
