package auth

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestUserNamespaceCapabilities(t *testing.T) {
	root := NewRootUserNamespace(1)
	user := NewIn(root, 1000, 1000, nil)
	if user.HasCapability(unix.CAP_SYS_ADMIN) {
		t.Fatal("uid 1000 has CAP_SYS_ADMIN")
	}
	child, err := user.NewChildUserNamespace(2)
	if err != nil {
		t.Fatal(err)
	}
	// The owner has every capability in the child, none above it.
	if !user.HasCapabilityIn(unix.CAP_SYS_ADMIN, child) {
		t.Error("owner lacks CAP_SYS_ADMIN in its namespace")
	}
	inside := user.EnterUserNamespace(child)
	if !inside.HasCapability(unix.CAP_SETUID) || inside.HasGlobalCapability(unix.CAP_SETUID) {
		t.Error("capabilities inside a user namespace count outside it")
	}
	// No map yet: ids read as the overflow id, file owners are unmapped.
	if got := child.UIDOf(1000); got != OverflowID {
		t.Errorf("unmapped uid reads %d", got)
	}
	if inside.CapableOverOwner(unix.CAP_CHOWN, 1000, 1000) {
		t.Error("capable over an unmapped owner")
	}
	if err := child.WriteMap(inside, inside, "0 1000 1\n", false); err != nil {
		t.Fatalf("uid_map: %v", err)
	}
	if err := child.WriteMap(inside, inside, "0 1000 1\n", false); err != unix.EPERM {
		t.Errorf("second uid_map write: %v", err)
	}
	if err := child.WriteMap(inside, inside, "0 1000 1\n", true); err != unix.EPERM {
		t.Errorf("gid_map before setgroups deny: %v", err)
	}
	if err := child.WriteSetgroups(inside, "deny"); err != nil {
		t.Fatal(err)
	}
	if err := child.WriteMap(inside, inside, "0 1000 1\n", true); err != nil {
		t.Errorf("gid_map: %v", err)
	}
	if got := child.UIDOf(1000); got != 0 {
		t.Errorf("mapped uid reads %d", got)
	}
	if !inside.CapableOverOwner(unix.CAP_CHOWN, 1000, 1000) || inside.CapableOverOwner(unix.CAP_CHOWN, 0, 0) {
		t.Error("capability over owners wrong after mapping")
	}
	if got := child.MapText(root, false); got != "         0       1000          1\n" {
		t.Errorf("uid_map reads %q", got)
	}
}

func TestParseIDMap(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"0 1000 1", true},
		{"0 1000 1\n1 2000 10\n", true},
		{"0 1000 0", false},
		{"0 1000", false},
		{"0 1000 2\n1 3000 1", false}, // overlapping first ids
		{"0 1000 2\n5 1001 1", false}, // overlapping lower ids
		{"4294967295 0 1", false},
		{"x 0 1", false},
		{"", false},
	} {
		_, err := parseIDMap(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v", c.in, err)
		}
	}
}

func TestExecSetUIDRoot(t *testing.T) {
	ns := NewRootUserNamespace(1)
	user := NewIn(ns, 1000, 1000, nil)
	n, secure, err := user.Exec(ExecArgs{SetUID: true, UID: 0, GID: 0})
	if err != nil || !secure || n.EffectiveUID != 0 || n.PermittedCaps != AllCapabilities || n.EffectiveCaps != AllCapabilities {
		t.Errorf("set-uid-root exec: %+v secure %v err %v", n, secure, err)
	}
	n, secure, _ = user.Exec(ExecArgs{SetUID: true, UID: 0, NoNewPrivs: true})
	if secure || n.EffectiveUID != 1000 || n.PermittedCaps != 0 {
		t.Errorf("no_new_privs exec: %+v secure %v", n, secure)
	}
	fc := &FileCaps{Permitted: CapabilitySetOf(unix.CAP_NET_RAW), Effective: true}
	n, _, _ = user.Exec(ExecArgs{Caps: fc})
	if n.EffectiveCaps != fc.Permitted || n.PermittedCaps != fc.Permitted {
		t.Errorf("file caps exec: %+v", n)
	}
}

func TestFixSetUID(t *testing.T) {
	root := NewIn(NewRootUserNamespace(1), 0, 0, nil)
	n := root.Fork()
	n.RealUID, n.EffectiveUID, n.SavedUID, n.FSUID = 1000, 1000, 1000, 1000
	n.FixSetUID(root, SetIDFull)
	if n.PermittedCaps != 0 || n.EffectiveCaps != 0 {
		t.Errorf("caps kept after leaving root: %+v", n)
	}
	n = root.Fork()
	n.FSUID = 1000
	n.FixSetUID(root, SetIDFS)
	if n.EffectiveCaps.Has(unix.CAP_DAC_OVERRIDE) || !n.EffectiveCaps.Has(unix.CAP_KILL) {
		t.Errorf("fsuid change: %x", n.EffectiveCaps)
	}
}
