package main

import (
	"github.com/kite-os/kite/fs/sys"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/inet"
	"github.com/kite-os/kite/vfs"
)

// sysNetLinks gives /sys/class/net the interfaces of the reader's
// network namespace (initial's for a reader that is no task): those
// RTM_GETLINK shows, kite's stack's or the host's with --net=host.
func sysNetLinks(k *kernel.Kernel, initial *net.Stack) sys.NetLinks {
	return func(ctx vfs.Context) []sys.NetLink {
		st := initial
		if t := k.TaskByID(ctx.ThreadID()); t != nil {
			st = t.NetStack()
		}
		links, _ := inet.SysfsLinks(st)
		out := make([]sys.NetLink, len(links))
		for i, l := range links {
			out[i] = sys.NetLink{
				Index: l.Index, Name: l.Name, Type: l.Type, Flags: l.Flags,
				MTU: l.MTU, TxQLen: l.TxQLen, HWAddr: l.HWAddr, Broadcast: l.Broadcast,
				Stats: l.Stats,
			}
		}
		return out
	}
}
