// Package opmon reads a security server's operational monitoring
// (PR-OPMON: the getSecurityServerOperationalData and
// getSecurityServerHealthData metaservices) and turns it into what a local
// monitoring centre needs: Prometheus metrics (tunduk_ss_*) and, per
// counterpart service, availability and latency against an SLA.
//
// The Collector pages through the operational data by nextRecordsFrom and
// keeps its position in a small state file (internal/atomicfile), so a
// restart neither re-reads nor skips records. Records arrive as a gzipped
// JSON attachment ({"records":[…]}); they are decoded one at a time with
// bounded sizes and counts, and handed to Observers.
//
// Non-goals: storing records (X-Road Metrics does that with MongoDB), and
// personal data: messageUserId and the represented party are never decoded.
package opmon

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Record is one operational monitoring record in PR-OPMON's JSON form.
// Fields a record does not carry are zero. Both the pre-7 names
// (soapFaultCode, requestSoapSize, …) and the 7.x ones (faultCode,
// requestSize, …) are read; use the methods to get whichever is set.
type Record struct {
	MonitoringDataTs   int64  `json:"monitoringDataTs"`
	SecurityServerType string `json:"securityServerType"` // "Client" or "Producer"
	RequestInTs        int64  `json:"requestInTs"`        // milliseconds
	RequestOutTs       int64  `json:"requestOutTs"`
	ResponseInTs       int64  `json:"responseInTs"`
	ResponseOutTs      int64  `json:"responseOutTs"`

	ClientXRoadInstance  string `json:"clientXRoadInstance"`
	ClientMemberClass    string `json:"clientMemberClass"`
	ClientMemberCode     string `json:"clientMemberCode"`
	ClientSubsystemCode  string `json:"clientSubsystemCode"`
	ServiceXRoadInstance string `json:"serviceXRoadInstance"`
	ServiceMemberClass   string `json:"serviceMemberClass"`
	ServiceMemberCode    string `json:"serviceMemberCode"`
	ServiceSubsystemCode string `json:"serviceSubsystemCode"`
	ServiceCode          string `json:"serviceCode"`
	ServiceVersion       string `json:"serviceVersion"`
	ServiceType          string `json:"serviceType"` // WSDL, REST, OPENAPI3 (7.x)

	MessageID              string `json:"messageId"`
	MessageProtocolVersion string `json:"messageProtocolVersion"`

	ClientSecurityServerAddress  string `json:"clientSecurityServerAddress"`
	ServiceSecurityServerAddress string `json:"serviceSecurityServerAddress"`

	RequestSize      int64 `json:"requestSize"`
	RequestSoapSize  int64 `json:"requestSoapSize"`
	RequestRestSize  int64 `json:"requestRestSize"`
	RequestMimeSize  int64 `json:"requestMimeSize"`
	ResponseSize     int64 `json:"responseSize"`
	ResponseSoapSize int64 `json:"responseSoapSize"`
	ResponseRestSize int64 `json:"responseRestSize"`
	ResponseMimeSize int64 `json:"responseMimeSize"`

	RequestAttachmentCount  int `json:"requestAttachmentCount"`
	ResponseAttachmentCount int `json:"responseAttachmentCount"`

	Succeeded       bool   `json:"succeeded"`
	FaultCodeV7     string `json:"faultCode"`
	FaultStringV7   string `json:"faultString"`
	SoapFaultCode   string `json:"soapFaultCode"`
	SoapFaultString string `json:"soapFaultString"`
	StatusCode      int    `json:"statusCode"`
	RestMethod      string `json:"restMethod"`
	XRequestID      string `json:"xRequestId"`
}

// Service is the record's service identifier in slash form
// (INSTANCE/CLASS/MEMBER[/SUBSYSTEM]/CODE[/VERSION]).
func (r *Record) Service() string {
	s := r.ServiceXRoadInstance + "/" + r.ServiceMemberClass + "/" + r.ServiceMemberCode
	if r.ServiceSubsystemCode != "" {
		s += "/" + r.ServiceSubsystemCode
	}
	s += "/" + r.ServiceCode
	if r.ServiceVersion != "" {
		s += "/" + r.ServiceVersion
	}
	return s
}

// Client is the record's client identifier in slash form.
func (r *Record) Client() string {
	s := r.ClientXRoadInstance + "/" + r.ClientMemberClass + "/" + r.ClientMemberCode
	if r.ClientSubsystemCode != "" {
		s += "/" + r.ClientSubsystemCode
	}
	return s
}

// FaultCode is the fault code of a failed exchange, whichever field the
// security server used ("" when none).
func (r *Record) FaultCode() string {
	if r.FaultCodeV7 != "" {
		return r.FaultCodeV7
	}
	return r.SoapFaultCode
}

// DurationMillis is the time the security server spent on the exchange,
// from receiving the request to sending the response, in milliseconds
// (-1 when the record lacks either timestamp).
func (r *Record) DurationMillis() int64 {
	if r.RequestInTs == 0 || r.ResponseOutTs == 0 || r.ResponseOutTs < r.RequestInTs {
		return -1
	}
	return r.ResponseOutTs - r.RequestInTs
}

// RequestBytes is the request's size in bytes (the MIME size when the
// message had attachments), whichever field the security server used.
func (r *Record) RequestBytes() int64 {
	return first(r.RequestSize, r.RequestMimeSize, r.RequestSoapSize, r.RequestRestSize)
}

// ResponseBytes is the response's size in bytes, as RequestBytes.
func (r *Record) ResponseBytes() int64 {
	return first(r.ResponseSize, r.ResponseMimeSize, r.ResponseSoapSize, r.ResponseRestSize)
}

func first(vs ...int64) int64 {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}

// Limits bound one page of records. The zero value is safe.
type Limits struct {
	// MaxBytes bounds the decompressed JSON (default 512 MiB; X-Road's
	// default page of 10,000 records is about 8 MiB).
	MaxBytes int64
	// MaxRecords bounds the records of one page (default 100,000).
	MaxRecords int
}

// Default limits.
const (
	DefaultMaxBytes   = 512 << 20
	DefaultMaxRecords = 100_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = DefaultMaxRecords
	}
	return l
}

// ErrTooLarge is returned when a page exceeds Limits.
var ErrTooLarge = errors.New("opmon: records exceed the limits")

// DecodeRecords reads a gzipped JSON {"records":[…]} document and calls fn
// for each record, in order. The *Record passed to fn is reused: fn must
// copy what it keeps. It returns the number of records read.
func DecodeRecords(r io.Reader, lim Limits, fn func(*Record) error) (int, error) {
	lim = lim.withDefaults()
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("opmon: records attachment is not gzip: %w", err)
	}
	defer zr.Close()
	lr := &limitedReader{r: zr, n: lim.MaxBytes}
	dec := json.NewDecoder(lr)
	n, err := decodeDocument(dec, lim, fn)
	if lr.exceeded {
		return n, fmt.Errorf("%w: more than %d decompressed bytes (raise Limits.MaxBytes if the security server's page size needs it)", ErrTooLarge, lim.MaxBytes)
	}
	return n, err
}

func decodeDocument(dec *json.Decoder, lim Limits, fn func(*Record) error) (int, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return 0, err
	}
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return n, fmt.Errorf("opmon: reading records JSON: %w", err)
		}
		key, _ := tok.(string)
		if key != "records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return n, fmt.Errorf("opmon: reading records JSON key %q: %w", key, err)
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return n, err
		}
		var rec Record
		for dec.More() {
			if n >= lim.MaxRecords {
				return n, fmt.Errorf("%w: more than %d records in one page", ErrTooLarge, lim.MaxRecords)
			}
			rec = Record{}
			if err := dec.Decode(&rec); err != nil {
				return n, fmt.Errorf("opmon: record %d: %w", n, err)
			}
			n++
			if err := fn(&rec); err != nil {
				return n, err
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return n, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return n, err
	}
	return n, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("opmon: reading records JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("opmon: records JSON: want %q, got %v", want, tok)
	}
	return nil
}

// limitedReader is io.LimitedReader that remembers it cut the input.
type limitedReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.exceeded = true
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
