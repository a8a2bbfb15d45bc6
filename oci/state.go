package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Container statuses, as the runtime specification names them.
const (
	StatusCreating = "creating"
	StatusCreated  = "created"
	StatusRunning  = "running"
	StatusPaused   = "paused"
	StatusStopped  = "stopped"
)

// State is the state of a container as `kite state` prints it (runc's
// fields).
type State struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Container is what the runtime root keeps about a container
// (ROOT/ID/state.json).
type Container struct {
	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	Rootfs string `json:"rootfs"`
	Pid    int    `json:"pid"`
	// PidStart is the host start time of Pid (/proc/PID/stat's
	// starttime), so a reused pid is not taken for the container.
	PidStart    uint64            `json:"pidStart"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Store is a runtime root directory (runc's --root).
type Store struct{ Root string }

// DefaultRoot is the runtime root when --root is not given.
const DefaultRoot = "/run/kite"

var validID = regexp.MustCompile(`^[\w+\-.]+$`)

// ErrNotExist is returned for an unknown container id.
var ErrNotExist = errors.New("container does not exist")

func (s Store) dir(id string) string { return filepath.Join(s.Root, id) }

// FifoPath is the FIFO a created container's init waits on until start
// opens it (runc's exec.fifo).
func (s Store) FifoPath(id string) string { return filepath.Join(s.dir(id), "exec.fifo") }

// Create makes the state directory of a new container with its start
// FIFO; it fails if the id is taken.
func (s Store) Create(c *Container) error {
	if !validID.MatchString(c.ID) || c.ID == "." || c.ID == ".." {
		return fmt.Errorf("invalid container id %q", c.ID)
	}
	if err := os.MkdirAll(s.Root, 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(s.dir(c.ID), 0o711); err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("container with id exists: %s", c.ID)
		}
		return err
	}
	if err := unix.Mkfifo(s.FifoPath(c.ID), 0o600); err != nil {
		os.RemoveAll(s.dir(c.ID))
		return err
	}
	return s.Save(c)
}

// Save writes c's record.
func (s Store) Save(c *Container) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir(c.ID), "state.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.dir(c.ID), "state.json"))
}

// Load reads the record of container id.
func (s Store) Load(id string) (*Container, error) {
	if !validID.MatchString(id) {
		return nil, ErrNotExist
	}
	b, err := os.ReadFile(filepath.Join(s.dir(id), "state.json"))
	if os.IsNotExist(err) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	var c Container
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("state of %s: %w", id, err)
	}
	return &c, nil
}

// List returns every container of the root, by id.
func (s Store) List() ([]*Container, error) {
	ents, err := os.ReadDir(s.Root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cs []*Container
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if c, err := s.Load(e.Name()); err == nil {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	return cs, nil
}

// Remove deletes the state of container id.
func (s Store) Remove(id string) error { return os.RemoveAll(s.dir(id)) }

// SetPaused records whether the container is paused.
func (s Store) SetPaused(id string, paused bool) error {
	p := filepath.Join(s.dir(id), "paused")
	if paused {
		return os.WriteFile(p, nil, 0o600)
	}
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// Alive reports whether c's process still runs (not a zombie, and the
// same process that was recorded).
func (c *Container) Alive() bool {
	if c.Pid <= 0 {
		return false
	}
	start, state, err := ProcessStart(c.Pid)
	if err != nil || state == 'Z' || state == 'X' {
		return false
	}
	return c.PidStart == 0 || start == c.PidStart
}

// Status is c's current status.
func (s Store) Status(c *Container) string {
	if !c.Alive() {
		return StatusStopped
	}
	if _, err := os.Stat(filepath.Join(s.dir(c.ID), "paused")); err == nil {
		return StatusPaused
	}
	if _, err := os.Stat(s.FifoPath(c.ID)); err == nil {
		return StatusCreated
	}
	return StatusRunning
}

// State is c's state as runc prints it: a stopped container's pid is 0.
func (s Store) State(c *Container) State {
	st := State{
		OCIVersion:  Version,
		ID:          c.ID,
		Pid:         c.Pid,
		Status:      s.Status(c),
		Bundle:      c.Bundle,
		Rootfs:      c.Rootfs,
		Created:     c.Created,
		Annotations: c.Annotations,
	}
	if st.Status == StatusStopped {
		st.Pid = 0
	}
	return st
}

// ProcessStart returns a host process's start time and state letter from
// /proc/PID/stat.
func ProcessStart(pid int) (start uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return 0, 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+2:])
	// f[0] is the state (field 3); starttime is field 22.
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0][0], err
}
