package systrap

// pause executes the PAUSE instruction n times (pause_amd64.s).
//
//go:noescape
func pause(n uint32)
