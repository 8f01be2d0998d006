package hashchain

import "fmt"

// Error codes, spelled as X-Road spells them (the CamelCase form security
// servers before 7.8 report; see ErrorCodes.java).
const (
	CodeMalformedHashChain    = "MalformedHashChain"    // not a well-formed chain or result
	CodeInvalidHashChain      = "InvalidHashChain"      // computed top differs from HashChainResult
	CodeInvalidHashChainRef   = "InvalidHashChainRef"   // resolved data differs from a DataRef
	CodeHashChainUnusedInputs = "HashChainUnusedInputs" // a caller's input is never referenced
	CodeInvalidReference      = "InvalidReference"      // a URI cannot be resolved
)

// Error is a hash chain verification failure with X-Road's error code.
type Error struct {
	Code   string
	URI    string // the reference concerned, when there is one
	Detail string
}

func (e *Error) Error() string {
	if e.URI != "" {
		return fmt.Sprintf("hashchain: %s: %s: %s", e.Code, e.URI, e.Detail)
	}
	return fmt.Sprintf("hashchain: %s: %s", e.Code, e.Detail)
}

// ErrorCode returns the X-Road error code.
func (e *Error) ErrorCode() string { return e.Code }

// Is reports whether target is an *Error with the same code, so callers can
// write errors.Is(err, &hashchain.Error{Code: hashchain.CodeInvalidHashChain}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errf(code, uri, format string, args ...any) *Error {
	return &Error{Code: code, URI: uri, Detail: fmt.Sprintf(format, args...)}
}
