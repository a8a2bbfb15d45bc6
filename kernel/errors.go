package kernel

import "errors"

// errInitExists is returned by StartInit on a kernel that already has an
// init process.
var errInitExists = errors.New("kernel: init process already started")
