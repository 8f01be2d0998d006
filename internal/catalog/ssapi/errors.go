package ssapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels matched with errors.Is against an *APIError's status.
var (
	ErrConflict    = errors.New("ssapi: conflict (the item already exists)")
	ErrNotFound    = errors.New("ssapi: not found")
	ErrRateLimited = errors.New("ssapi: rate limited")
	ErrAuth        = errors.New("ssapi: not authorised (check the API key and its roles)")
)

// APIError is a non-2xx answer from the management API.
type APIError struct {
	Op     string // operation, e.g. "POST /clients"
	Status int
	Info   ErrorInfo // parsed body when the server sent one
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("ssapi: %s: HTTP %d", e.Op, e.Status)
	if e.Info.Error != nil {
		msg += ": " + e.Info.Error.String()
	}
	return msg
}

// Is lets callers match the status with the sentinels above.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrAuth:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	}
	return false
}

// Code returns the server's error code (e.g. "service_already_exists"), or "".
func (e *APIError) Code() string {
	if e.Info.Error == nil {
		return ""
	}
	return e.Info.Error.Code
}

// WarningsError is returned when the server answered warnings_detected and
// the caller did not allow ignoring warnings. The operation was not done.
type WarningsError struct {
	Op       string
	Warnings []CodeWithDetails
}

func (e *WarningsError) Error() string {
	ws := make([]string, len(e.Warnings))
	for i, w := range e.Warnings {
		ws[i] = w.String()
	}
	return fmt.Sprintf("ssapi: %s: security server reported warnings (not applied; accept them to proceed): %s",
		e.Op, strings.Join(ws, "; "))
}

// codeWarningsDetected is the error code of a warnings response.
const codeWarningsDetected = "warnings_detected"
