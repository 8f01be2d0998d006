// Package cli holds what every tunduk command shares: the IO streams, typed
// exit codes and the Factory that hands commands their lazily built
// dependencies. Commands stay thin: they parse flags into an Options struct
// and call library packages (see ../README.md, "Layout").
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ExitCode is the process exit status of a tunduk command.
type ExitCode int

// Exit codes shared by every command.
const (
	ExitOK      ExitCode = 0 // success; for checkers: everything valid
	ExitInvalid ExitCode = 1 // a checker found invalid input (validate, verify, diff)
	ExitUsage   ExitCode = 2 // bad flags or arguments
	ExitFailure ExitCode = 3 // the command could not do its job (I/O, network, config)
)

// IOStreams are the standard streams a command reads and writes; tests use
// buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// System returns the process's own streams.
func System() IOStreams { return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// ExitError makes a command end with a given exit code. Msg, when set, is
// printed to stderr; an empty Msg means the command already reported.
type ExitError struct {
	Code ExitCode
	Msg  string
}

func (e *ExitError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Msg
}

// Invalid reports that a checker found problems it has already printed.
func Invalid() error { return &ExitError{Code: ExitInvalid} }

// UsageError reports bad command-line use.
func UsageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Msg: fmt.Sprintf(format, args...)}
}

// ParseArg parses the positional argument named what (e.g. "SERVICE")
// with parse into *dst; an argument that does not parse is a usage error
// naming it.
func ParseArg[T any](arg, what string, parse func(string) (T, error), dst *T) error {
	v, err := parse(arg)
	if err != nil {
		return UsageError("%s: %v", what, err)
	}
	*dst = v
	return nil
}

// CodeOf maps an error returned by a command to its exit code.
func CodeOf(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}

// Run is the tail of every verb's RunE: runF, a test's stand-in that sees
// the parsed options, when set, else the verb's own run.
func Run[O any](opts O, runF, run func(O) error) error {
	if runF != nil {
		return runF(opts)
	}
	return run(opts)
}
