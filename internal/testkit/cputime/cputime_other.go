//go:build !unix

package cputime

import (
	"errors"
	"time"
)

func process() (time.Duration, error) {
	return 0, errors.New("CPU time is read with getrusage, which only unix systems have")
}
