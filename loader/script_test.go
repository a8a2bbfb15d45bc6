package loader

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func parseScript(s string) (*Script, error) {
	return ParseScript(bytes.NewReader([]byte(s)), int64(len(s)))
}

func TestParseScript(t *testing.T) {
	for _, c := range []struct {
		in   string
		want *Script
	}{
		{"#!/bin/sh\necho hi\n", &Script{Interp: "/bin/sh"}},
		{"#! /bin/sh -e \n", &Script{Interp: "/bin/sh", Arg: "-e", HasArg: true}},
		{"#!/usr/bin/env -S a  b\t\n", &Script{Interp: "/usr/bin/env", Arg: "-S a  b", HasArg: true}},
		{"#!\t/bin/bash\t-x\n", &Script{Interp: "/bin/bash", Arg: "-x", HasArg: true}},
		{"#!/bin/sh", &Script{Interp: "/bin/sh"}},
		{"#!/bin/sh -x", &Script{Interp: "/bin/sh", Arg: "-x", HasArg: true}},
		{"#!/bin/sh\x00-x\n", &Script{Interp: "/bin/sh"}},
		{"#!/bin/sh -a\x00b\n", &Script{Interp: "/bin/sh", Arg: "-a", HasArg: true}},
		{"#!/bin/sh   \n", &Script{Interp: "/bin/sh"}},
		{"#!/bin/sh\r\n", &Script{Interp: "/bin/sh\r"}},
		// A long line is cut at 255 bytes; the name fits, so it runs.
		{"#!/bin/sh " + strings.Repeat("a", 300) + "\n", &Script{Interp: "/bin/sh", Arg: strings.Repeat("a", 255-10), HasArg: true}},
		{"\x7fELF", nil},
		{"#", nil},
		{"", nil},
		{"# !/bin/sh\n", nil},
	} {
		got, err := parseScript(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
	}
	for _, in := range []string{
		"#!\n",
		"#!   \t\n",
		"#!",
		"#!" + strings.Repeat(" ", 300),
		"#!/" + strings.Repeat("x", 300), // the name does not fit
	} {
		if _, err := parseScript(in); !errors.Is(err, unix.ENOEXEC) {
			t.Errorf("%q: err %v, want ENOEXEC", in, err)
		}
	}
}

func TestScriptArgv(t *testing.T) {
	s := &Script{Interp: "/bin/sh", Arg: "-e", HasArg: true}
	got := s.Argv("./run.sh", []string{"run.sh", "a", "b"})
	if want := []string{"/bin/sh", "-e", "./run.sh", "a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	s = &Script{Interp: "/bin/sh"}
	if got := s.Argv("/x", nil); !reflect.DeepEqual(got, []string{"/bin/sh", "/x"}) {
		t.Errorf("empty argv: %q", got)
	}
}

func TestCheckInterpreterDepth(t *testing.T) {
	if err := CheckInterpreterDepth(MaxInterpreterDepth); err != nil {
		t.Error(err)
	}
	if err := CheckInterpreterDepth(MaxInterpreterDepth + 1); !errors.Is(err, unix.ELOOP) {
		t.Errorf("got %v, want ELOOP", err)
	}
}
