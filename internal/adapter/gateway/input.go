package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tunduk-kg/tunduk/internal/adapter"
)

// singleHeaders may appear at most once: a proxy or WAF reading another
// copy than the gateway would see another caller, officer, tender or key.
var singleHeaders = []string{"Authorization", "X-Api-Key", HeaderUserID, HeaderIssue, HeaderIdempotencyKey,
	HeaderRequestID, HeaderTraceParent, "Content-Type", "Content-Encoding"}

// xroadHeaders reach Tunduk (X-Road userId and issue) or the signed
// record; their values must be valid UTF-8 without control characters.
var xroadHeaders = []string{HeaderUserID, HeaderIssue}

func duplicateHeader(name string) *adapter.RequestError {
	return adapter.BadRequest("duplicate_header", name, "header %s is given more than once; send it once", name)
}

// checkHeaders refuses repeated single-valued headers and unusable values
// of headers that reach X-Road, before anything else reads them.
func checkHeaders(h http.Header) error {
	for _, name := range singleHeaders {
		if len(h.Values(name)) > 1 {
			return duplicateHeader(http.CanonicalHeaderKey(name))
		}
	}
	for _, name := range xroadHeaders {
		if v := h.Get(name); !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return adapter.BadRequest("invalid_header", name, "header %s must be valid UTF-8 without control characters", name)
		}
	}
	return nil
}

// cleanPath reports whether p is in canonical form: no empty, "." or ".."
// segment. Such paths are refused rather than redirected, so a path is
// read one way only.
func cleanPath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return !strings.Contains(p, "//")
}

// readBody reads a POST body as one JSON object into v: identity encoding,
// application/json, at most max bytes, no duplicate or case-variant keys,
// keys spelled exactly as documented (known), no unknown fields.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, &adapter.RequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_content_encoding", Field: "Content-Encoding",
			Message: fmt.Sprintf("Content-Encoding %q is not accepted; send the body uncompressed", ce)}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, &adapter.RequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Field: "Content-Type",
			Message: "send the body as application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, (&adapter.RequestError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
				Message: fmt.Sprintf("the body exceeds %d bytes", mbe.Limit)}).With(fmt.Sprint(mbe.Limit))
		}
		return nil, adapter.BadRequest("invalid_json", "", "the body could not be read")
	}
	return body, nil
}

// MaxJSONDepth bounds the nesting of a request body.
const MaxJSONDepth = 16

// decodeStrict decodes body into v after checking that it is exactly one
// JSON object whose keys are unique (also ignoring case: encoding/json
// matches field names case-insensitively, so {"inn":A,"INN":B} would have
// two readings) and spelled exactly as in known.
func decodeStrict(body []byte, v any, known []string, shape string) error {
	if err := scanKeys(body, known); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return adapter.BadRequest("invalid_json", "", "the body is not the expected JSON object %s: %s", shape, jsonProblem(err))
	}
	return nil
}

func scanKeys(body []byte, known []string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool // lower-cased
		expect bool            // next token in an object is a key
	}
	var stack []*frame
	tokens := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				return adapter.BadRequest("invalid_json", "", "the body is cut short: the JSON object is not closed")
			}
			break
		}
		if err != nil {
			return adapter.BadRequest("invalid_json", "", "the body is not valid JSON: %s", jsonProblem(err))
		}
		if tokens == 0 {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return adapter.BadRequest("invalid_json", "", "the body must be a JSON object")
			}
		} else if len(stack) == 0 {
			return adapter.BadRequest("invalid_json", "", "the body must hold one JSON object and nothing after it")
		}
		tokens++
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if k, isKey := tok.(string); isKey && top != nil && top.object && top.expect {
			lk := strings.ToLower(k)
			if top.keys[lk] {
				return adapter.BadRequest("duplicate_key", k, "JSON key %q appears more than once (keys are compared ignoring case); give each key once", k).With()
			}
			top.keys[lk] = true
			for _, want := range known {
				if strings.EqualFold(k, want) && k != want {
					return adapter.BadRequest("invalid_json", k, "JSON key %q must be spelled %q", k, want)
				}
			}
			top.expect = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= MaxJSONDepth {
				return adapter.BadRequest("invalid_json", "", "the body nests deeper than %d levels", MaxJSONDepth)
			}
			if top != nil && top.object {
				top.expect = true
			}
			stack = append(stack, &frame{object: tok == json.Delim('{'), keys: map[string]bool{}, expect: tok == json.Delim('{')})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if top != nil && top.object {
				top.expect = true
			}
		}
	}
	if tokens == 0 {
		return adapter.BadRequest("invalid_json", "", "the body is empty; send one JSON object")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing input values.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at offset %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return "malformed"
}
