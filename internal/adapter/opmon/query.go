package opmon

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/soap"
)

// NSOpmon is the namespace of the monitoring metaservices' bodies
// (op-monitoring.xsd).
const NSOpmon = "http://x-road.eu/xsd/op-monitoring.xsd"

// Service codes of the monitoring metaservices. They are member-level
// services of the security server's owner, addressed to one security
// server with the securityServer header.
const (
	ServiceOperationalData = "getSecurityServerOperationalData"
	ServiceHealthData      = "getSecurityServerHealthData"
)

// Page is what one getSecurityServerOperationalData answer said.
type Page struct {
	// RecordsCount is om:recordsCount; the records decoded match it.
	RecordsCount int
	// NextRecordsFrom is om:nextRecordsFrom when HasNext: the answer was
	// cut at the security server's page size (or recordsTo lay in the
	// future), and the next query starts there.
	NextRecordsFrom int64
	HasNext         bool
}

// QueryError is a monitoring query the security server failed: Err is a
// *ssclient.FaultError for a SOAP fault (either code style; Code is the
// CamelCase form), or the transport or format error.
type QueryError struct {
	Service string // ServiceOperationalData or ServiceHealthData
	Err     error
}

func (e *QueryError) Error() string {
	var f *ssclient.FaultError
	if errors.As(e.Err, &f) {
		msg := fmt.Sprintf("opmon: %s failed: %s (Code: %s", e.Service, f.String, f.Code)
		if d := faultDetail(f.Detail); d != "" {
			msg += ", detail: " + d
		}
		return msg + "); check that the client subsystem may call the monitoring services and that it reaches the security server as configured"
	}
	return fmt.Sprintf("opmon: %s failed: %v", e.Service, e.Err)
}

func (e *QueryError) Unwrap() error { return e.Err }

// faultDetail is the text of a detail's faultDetail element (X-Road puts
// the error's id there), or the trimmed detail.
func faultDetail(detail string) string {
	var d struct {
		FaultDetail string `xml:"faultDetail"`
	}
	if err := xml.Unmarshal([]byte("<d>"+detail+"</d>"), &d); err == nil && d.FaultDetail != "" {
		return strings.TrimSpace(d.FaultDetail)
	}
	return strings.TrimSpace(detail)
}

// Querier sends the monitoring queries to one security server.
type Querier struct {
	// SS is the client of the participant's security server; the queries
	// are sent as its client subsystem (ssclient.Options.Client).
	SS *ssclient.Client
	// Server is the security server whose data is read; its owner member
	// provides the metaservices.
	Server soap.SecurityServerID
	// Limits bound each page.
	Limits Limits
}

func (q *Querier) request(code string, body string) (*soap.Message, error) {
	if q.SS == nil || q.Server.ServerCode == "" {
		return nil, errors.New("opmon: Querier needs SS and Server (instance/class/member/serverCode)")
	}
	owner := soap.ClientID{Instance: q.Server.Instance, MemberClass: q.Server.MemberClass, MemberCode: q.Server.MemberCode}
	server := q.Server
	return soap.NewRequest(soap.Request{Client: q.SS.ClientID(), Service: soap.ServiceID{ClientID: owner, ServiceCode: code},
		SecurityServer: &server, BodyNamespace: NSOpmon, Body: []byte(body)})
}

// OperationalData asks for the records with monitoringDataTs in
// [from, to] (Unix seconds, both inclusive) and calls fn for each.
func (q *Querier) OperationalData(ctx context.Context, from, to int64, fn func(*Record) error) (Page, error) {
	body := "<tns:searchCriteria><tns:recordsFrom>" + strconv.FormatInt(from, 10) + "</tns:recordsFrom><tns:recordsTo>" +
		strconv.FormatInt(to, 10) + "</tns:recordsTo></tns:searchCriteria>"
	req, err := q.request(ServiceOperationalData, body)
	if err != nil {
		return Page{}, fmt.Errorf("opmon: building the query: %w", err)
	}
	ex, err := q.SS.Do(ctx, req, ssclient.CallOptions{})
	if err != nil {
		return Page{}, &QueryError{Service: ServiceOperationalData, Err: err}
	}
	defer ex.Response.Close()
	p, err := ReadOperationalData(ex.Response, q.Limits, fn)
	if err != nil {
		return p, &QueryError{Service: ServiceOperationalData, Err: err}
	}
	return p, nil
}

// ReadOperationalData reads a getSecurityServerOperationalData answer: the
// counts and position from the SOAP part, the records from the gzip JSON
// attachment that om:records names (cid:…). A SOAP fault is returned as
// *ssclient.FaultError.
func ReadOperationalData(m *soap.Message, lim Limits, fn func(*Record) error) (Page, error) {
	if err := faultOf(m); err != nil {
		return Page{}, err
	}
	var body struct {
		XMLName         xml.Name `xml:"getSecurityServerOperationalDataResponse"`
		RecordsCount    *int     `xml:"recordsCount"`
		Records         string   `xml:"records"`
		NextRecordsFrom *int64   `xml:"nextRecordsFrom"`
	}
	if m.BodyName().Local != ServiceOperationalData+"Response" {
		return Page{}, fmt.Errorf("opmon: answer body is <%s>, want <%sResponse>", m.BodyName().Local, ServiceOperationalData)
	}
	if err := xml.Unmarshal(m.BodyElement(), &body); err != nil {
		return Page{}, fmt.Errorf("opmon: reading the answer body: %w", err)
	}
	if body.RecordsCount == nil || *body.RecordsCount < 0 {
		return Page{}, errors.New("opmon: answer lacks a valid recordsCount")
	}
	p := Page{RecordsCount: *body.RecordsCount}
	if body.NextRecordsFrom != nil {
		p.NextRecordsFrom, p.HasNext = *body.NextRecordsFrom, true
	}
	cid, ok := strings.CutPrefix(strings.TrimSpace(body.Records), "cid:")
	if !ok {
		return p, fmt.Errorf("opmon: records %q is not a cid: reference to an attachment", body.Records)
	}
	att := m.Attachment(cid)
	if att == nil {
		return p, fmt.Errorf("opmon: the answer has no attachment with Content-ID <%s>", cid)
	}
	rc, err := att.Open()
	if err != nil {
		return p, fmt.Errorf("opmon: opening the records attachment: %w", err)
	}
	defer rc.Close()
	n, err := DecodeRecords(rc, lim, fn)
	if err != nil {
		return p, err
	}
	if n != p.RecordsCount {
		return p, fmt.Errorf("opmon: recordsCount says %d but the attachment holds %d records", p.RecordsCount, n)
	}
	return p, nil
}

// faultOf returns the message's SOAP fault as *ssclient.FaultError, or nil.
func faultOf(m *soap.Message) error {
	f, ok := m.Fault()
	if !ok {
		return nil
	}
	return &ssclient.FaultError{Code: soap.NormalizeFaultCode(f.Code), RawCode: f.Code, String: f.String, Actor: f.Actor, Detail: f.Detail}
}

// Health is a getSecurityServerHealthData answer.
type Health struct {
	// MonitoringStartup is when the op-monitor daemon started (Unix ms).
	MonitoringStartup int64 `xml:"monitoringStartupTimestamp"`
	// StatisticsPeriodSeconds is the length of the "last period".
	StatisticsPeriodSeconds int             `xml:"statisticsPeriodSeconds"`
	Services                []ServiceEvents `xml:"servicesEvents>serviceEvents"`
}

// ServiceEvents is one service's health.
type ServiceEvents struct {
	Service        soap.ServiceIDXML `xml:"service"`
	LastSuccessful int64             `xml:"lastSuccessfulRequestTimestamp"`   // Unix ms, 0 when none
	LastFailed     int64             `xml:"lastUnsuccessfulRequestTimestamp"` // Unix ms, 0 when none
	ServiceType    string            `xml:"serviceType"`
	Stats          struct {
		Successful      int     `xml:"successfulRequestCount"`
		Unsuccessful    int     `xml:"unsuccessfulRequestCount"`
		MinDurationMs   int64   `xml:"requestMinDuration"`
		AvgDurationMs   float64 `xml:"requestAverageDuration"`
		MaxDurationMs   int64   `xml:"requestMaxDuration"`
		AvgRequestSize  float64 `xml:"requestAverageSize"`
		AvgResponseSize float64 `xml:"responseAverageSize"`
	} `xml:"lastPeriodStatistics"`
}

// HealthData asks the security server for its health data.
func (q *Querier) HealthData(ctx context.Context) (*Health, error) {
	req, err := q.request(ServiceHealthData, "")
	if err != nil {
		return nil, fmt.Errorf("opmon: building the query: %w", err)
	}
	ex, err := q.SS.Do(ctx, req, ssclient.CallOptions{})
	if err != nil {
		return nil, &QueryError{Service: ServiceHealthData, Err: err}
	}
	defer ex.Response.Close()
	h, err := ReadHealthData(ex.Response)
	if err != nil {
		return nil, &QueryError{Service: ServiceHealthData, Err: err}
	}
	return h, nil
}

// ReadHealthData reads a getSecurityServerHealthData answer.
func ReadHealthData(m *soap.Message) (*Health, error) {
	if err := faultOf(m); err != nil {
		return nil, err
	}
	if m.BodyName().Local != ServiceHealthData+"Response" {
		return nil, fmt.Errorf("opmon: answer body is <%s>, want <%sResponse>", m.BodyName().Local, ServiceHealthData)
	}
	var h Health
	if err := xml.Unmarshal(m.BodyElement(), &h); err != nil {
		return nil, fmt.Errorf("opmon: reading the health data: %w", err)
	}
	return &h, nil
}
