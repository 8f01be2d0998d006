package xroadtest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
)

// Operational monitoring metaservices (PR-OPMON). The emulator answers them
// from its own SOAP traffic: every SOAP exchange it handles (services and
// metaservices, these two included, as a security server does) becomes a
// record in PR-OPMON's JSON form, with monitoringDataTs from Options.Now.
// REST exchanges are not recorded.
const (
	MetaOperationalData = "getSecurityServerOperationalData"
	MetaHealthData      = "getSecurityServerHealthData"
	// NSOpmon is the namespace of their bodies.
	NSOpmon = "http://x-road.eu/xsd/op-monitoring.xsd"
	// opmonStatisticsPeriod is the health data's "last period".
	opmonStatisticsPeriod = 600
	// opmonMaxRecords bounds the records kept (the oldest go first), so a
	// long demo run does not grow without limit.
	opmonMaxRecords = 100_000
)

type opmonLog struct {
	mu      sync.Mutex
	started time.Time
	records []opmonRecord
}

// opmonRecord is a PR-OPMON record (7.x field names).
type opmonRecord struct {
	MonitoringDataTs     int64  `json:"monitoringDataTs"`
	SecurityServerType   string `json:"securityServerType"`
	RequestInTs          int64  `json:"requestInTs"`
	RequestOutTs         int64  `json:"requestOutTs"`
	ResponseInTs         int64  `json:"responseInTs"`
	ResponseOutTs        int64  `json:"responseOutTs"`
	ClientXRoadInstance  string `json:"clientXRoadInstance"`
	ClientMemberClass    string `json:"clientMemberClass"`
	ClientMemberCode     string `json:"clientMemberCode"`
	ClientSubsystemCode  string `json:"clientSubsystemCode,omitempty"`
	ServiceXRoadInstance string `json:"serviceXRoadInstance"`
	ServiceMemberClass   string `json:"serviceMemberClass"`
	ServiceMemberCode    string `json:"serviceMemberCode"`
	ServiceSubsystemCode string `json:"serviceSubsystemCode,omitempty"`
	ServiceCode          string `json:"serviceCode"`
	ServiceVersion       string `json:"serviceVersion,omitempty"`
	ServiceType          string `json:"serviceType"`
	MessageID            string `json:"messageId,omitempty"`
	MessageProtocol      string `json:"messageProtocolVersion"`
	RequestSize          int    `json:"requestSize"`
	ResponseSize         int    `json:"responseSize"`
	Succeeded            bool   `json:"succeeded"`
	FaultCode            string `json:"faultCode,omitempty"`
	FaultString          string `json:"faultString,omitempty"`

	service soap.ServiceID
	client  soap.ClientID
}

func (s *SecurityServer) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// OperationalRecords returns how many operational monitoring records the
// emulator holds.
func (s *SecurityServer) OperationalRecords() int {
	s.opmon.mu.Lock()
	defer s.opmon.mu.Unlock()
	return len(s.opmon.records)
}

func (s *SecurityServer) opmonRecord(e Exchange) {
	if e.REST || e.Service.ServiceCode == "" || e.client.IsZero() {
		return
	}
	end := s.now()
	start := e.Started
	if start.IsZero() {
		start = end
	}
	r := opmonRecord{MonitoringDataTs: end.Unix(), SecurityServerType: "Client",
		RequestInTs: start.UnixMilli(), RequestOutTs: start.UnixMilli(), ResponseInTs: end.UnixMilli(), ResponseOutTs: end.UnixMilli(),
		ClientXRoadInstance: e.client.Instance, ClientMemberClass: e.client.MemberClass, ClientMemberCode: e.client.MemberCode,
		ClientSubsystemCode: e.client.SubsystemCode, ServiceXRoadInstance: e.Service.Instance, ServiceMemberClass: e.Service.MemberClass,
		ServiceMemberCode: e.Service.MemberCode, ServiceSubsystemCode: e.Service.SubsystemCode, ServiceCode: e.Service.ServiceCode,
		ServiceVersion: e.Service.ServiceVersion, ServiceType: "WSDL", MessageID: e.id, MessageProtocol: "4.0",
		RequestSize: len(e.Request), ResponseSize: len(e.Response), Succeeded: true, service: e.Service, client: e.client}
	if code, str, ok := faultIn(e.Response); ok || e.FaultCode != "" {
		r.Succeeded, r.FaultCode, r.FaultString = false, orDefault(e.FaultCode, code), str
	}
	s.opmon.mu.Lock()
	if s.opmon.started.IsZero() {
		s.opmon.started = start
	}
	s.opmon.records = append(s.opmon.records, r)
	if len(s.opmon.records) > opmonMaxRecords {
		s.opmon.records = append(s.opmon.records[:0:0], s.opmon.records[len(s.opmon.records)-opmonMaxRecords/2:]...)
	}
	s.opmon.mu.Unlock()
}

// faultIn finds a SOAP fault's code and string in an answer's bytes.
func faultIn(b []byte) (code, str string, ok bool) {
	if len(b) > 1<<16 {
		b = b[:1<<16]
	}
	if !bytes.Contains(b, []byte("Fault>")) {
		return "", "", false
	}
	return between(b, "<faultcode>", "</faultcode>"), between(b, "<faultstring>", "</faultstring>"), true
}

func between(b []byte, open, end string) string {
	i := bytes.Index(b, []byte(open))
	if i < 0 {
		return ""
	}
	rest := b[i+len(open):]
	j := bytes.Index(rest, []byte(end))
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

func (s *SecurityServer) serveOpmon(w http.ResponseWriter, req *soap.Message, x *Exchange) {
	var (
		body string
		atts []soap.AttachmentData
	)
	switch req.Header().Service.ServiceCode {
	case MetaOperationalData:
		var q struct {
			From *int64 `xml:"searchCriteria>recordsFrom"`
			To   *int64 `xml:"searchCriteria>recordsTo"`
		}
		err := xml.Unmarshal(req.BodyElement(), &q)
		switch {
		case err != nil || q.From == nil || q.To == nil:
			s.opmonFault(w, x, "Server.ServerProxy.OpMonitor.InvalidRequest", "getSecurityServerOperationalData needs searchCriteria/recordsFrom and recordsTo")
			return
		case *q.From < 0:
			s.opmonFault(w, x, "Server.ServerProxy.OpMonitor.InvalidRequest", "Records from timestamp is a negative number")
			return
		case *q.To < *q.From:
			s.opmonFault(w, x, "Server.ServerProxy.OpMonitor.InvalidRequest", "Records to timestamp is earlier than records from timestamp")
			return
		}
		page, next, hasNext := s.opmonPage(*q.From, *q.To)
		gz, err := gzipRecords(page)
		if err != nil {
			s.opmonFault(w, x, soap.CodeInternalError.Client(), "cannot encode records")
			return
		}
		cid := "operational-monitoring-data.json.gz"
		body = fmt.Sprintf("<tns:recordsCount>%d</tns:recordsCount><tns:records>cid:%s</tns:records>", len(page), cid)
		if hasNext {
			body += "<tns:nextRecordsFrom>" + strconv.FormatInt(next, 10) + "</tns:nextRecordsFrom>"
		}
		atts = []soap.AttachmentData{{ContentID: cid, ContentType: "application/gzip", Data: gz}}
	case MetaHealthData:
		body = s.opmonHealth()
	}
	resp, err := soap.NewResponseFrom(req, soap.Response{BodyNamespace: NSOpmon, Body: []byte(body), Attachments: atts})
	if err == nil {
		resp, err = soap.AddRequestHash(resp, req)
	}
	if err != nil {
		s.opmonFault(w, x, soap.CodeInternalError.Client(), "cannot build the monitoring response: "+reason(err))
		return
	}
	defer resp.Close()
	x.Response = resp.Bytes()
	s.exchange(*x)
	writeMessage(w, http.StatusOK, resp.ContentType(), x.Response)
}

func (s *SecurityServer) opmonFault(w http.ResponseWriter, x *Exchange, code, msg string) {
	x.FaultCode = code
	x.Response = writeFault(w, code, msg)
	s.exchange(*x)
}

// opmonPage selects the records with from ≤ monitoringDataTs ≤ to, at most
// OpmonPageSize of them, never splitting a second: when the page is cut,
// nextRecordsFrom is the first second left out. recordsTo at or past the
// current second is cut to the previous one, with nextRecordsFrom the
// current second, so records still being written are never half-served.
func (s *SecurityServer) opmonPage(from, to int64) (page []opmonRecord, next int64, hasNext bool) {
	size := s.opts.OpmonPageSize
	if size <= 0 {
		size = 10000
	}
	if nowSec := s.now().Unix(); to >= nowSec {
		to, next, hasNext = nowSec-1, nowSec, true
	}
	s.opmon.mu.Lock()
	var sel []opmonRecord
	for _, r := range s.opmon.records {
		if r.MonitoringDataTs >= from && r.MonitoringDataTs <= to {
			sel = append(sel, r)
		}
	}
	s.opmon.mu.Unlock()
	sort.SliceStable(sel, func(i, j int) bool { return sel[i].MonitoringDataTs < sel[j].MonitoringDataTs })
	if len(sel) > size {
		cut := sel[size].MonitoringDataTs
		n := size
		for n > 0 && sel[n-1].MonitoringDataTs == cut {
			n--
		}
		if n == 0 { // one second holds more than a page: serve that whole second
			for n < len(sel) && sel[n].MonitoringDataTs == cut {
				n++
			}
			cut++
		}
		sel, next, hasNext = sel[:n], cut, true
	}
	return sel, next, hasNext
}

func gzipRecords(recs []opmonRecord) ([]byte, error) {
	if recs == nil {
		recs = []opmonRecord{}
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := json.NewEncoder(zw).Encode(struct {
		Records []opmonRecord `json:"records"`
	}{recs}); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// opmonHealth builds the health data body from the last period's records.
func (s *SecurityServer) opmonHealth() string {
	type stats struct {
		id                 soap.ServiceID
		lastOK, lastFail   int64
		ok, failed         int
		minD, maxD, totalD int64
	}
	now := s.now()
	s.opmon.mu.Lock()
	started := s.opmon.started
	var order []string
	by := map[string]*stats{}
	for _, r := range s.opmon.records {
		k := r.service.String()
		st := by[k]
		if st == nil {
			st = &stats{id: r.service, minD: -1}
			by[k] = st
			order = append(order, k)
		}
		if r.Succeeded {
			st.lastOK = r.ResponseOutTs
		} else {
			st.lastFail = r.ResponseOutTs
		}
		if r.MonitoringDataTs < now.Unix()-opmonStatisticsPeriod {
			continue
		}
		d := r.ResponseOutTs - r.RequestInTs
		if r.Succeeded {
			st.ok++
		} else {
			st.failed++
		}
		st.totalD += d
		if st.minD < 0 || d < st.minD {
			st.minD = d
		}
		st.maxD = max(st.maxD, d)
	}
	s.opmon.mu.Unlock()
	if started.IsZero() {
		started = now
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "<tns:monitoringStartupTimestamp>%d</tns:monitoringStartupTimestamp><tns:statisticsPeriodSeconds>%d</tns:statisticsPeriodSeconds><tns:servicesEvents>",
		started.UnixMilli(), opmonStatisticsPeriod)
	for _, k := range order {
		st := by[k]
		b.WriteString("<tns:serviceEvents>")
		fmt.Fprintf(&b, `<tns:service id:objectType="SERVICE"><id:xRoadInstance>%s</id:xRoadInstance><id:memberClass>%s</id:memberClass><id:memberCode>%s</id:memberCode>`,
			esc(st.id.Instance), esc(st.id.MemberClass), esc(st.id.MemberCode))
		if st.id.SubsystemCode != "" {
			fmt.Fprintf(&b, "<id:subsystemCode>%s</id:subsystemCode>", esc(st.id.SubsystemCode))
		}
		fmt.Fprintf(&b, "<id:serviceCode>%s</id:serviceCode>", esc(st.id.ServiceCode))
		if st.id.ServiceVersion != "" {
			fmt.Fprintf(&b, "<id:serviceVersion>%s</id:serviceVersion>", esc(st.id.ServiceVersion))
		}
		b.WriteString("</tns:service>")
		if st.lastOK > 0 {
			fmt.Fprintf(&b, "<tns:lastSuccessfulRequestTimestamp>%d</tns:lastSuccessfulRequestTimestamp>", st.lastOK)
		}
		if st.lastFail > 0 {
			fmt.Fprintf(&b, "<tns:lastUnsuccessfulRequestTimestamp>%d</tns:lastUnsuccessfulRequestTimestamp>", st.lastFail)
		}
		fmt.Fprintf(&b, "<tns:serviceType>WSDL</tns:serviceType><tns:lastPeriodStatistics><tns:successfulRequestCount>%d</tns:successfulRequestCount><tns:unsuccessfulRequestCount>%d</tns:unsuccessfulRequestCount>",
			st.ok, st.failed)
		if n := st.ok + st.failed; n > 0 {
			fmt.Fprintf(&b, "<tns:requestMinDuration>%d</tns:requestMinDuration><tns:requestAverageDuration>%g</tns:requestAverageDuration><tns:requestMaxDuration>%d</tns:requestMaxDuration>",
				st.minD, float64(st.totalD)/float64(n), st.maxD)
		}
		b.WriteString("</tns:lastPeriodStatistics></tns:serviceEvents>")
	}
	b.WriteString("</tns:servicesEvents>")
	return b.String()
}
