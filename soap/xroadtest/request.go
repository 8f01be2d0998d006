package xroadtest

import (
	"net/http/httptest"

	"github.com/tunduk-kg/tunduk/soap"
)

// TestNamespace is the body namespace NewRequest uses.
const TestNamespace = "http://xroadtest.tunduk.invalid/"

// NewRequest builds an X-Road request from identifier strings (slash or typed
// form) and the inner XML of the body wrapper (whose name is the service
// code, in TestNamespace). It panics on bad input, like httptest.NewRequest:
// it is for tests.
func NewRequest(client, service, body string) *soap.Message {
	c, err := soap.ParseClientID(client)
	if err != nil {
		panic("xroadtest.NewRequest: client: " + err.Error())
	}
	s, err := soap.ParseServiceID(service)
	if err != nil {
		panic("xroadtest.NewRequest: service: " + err.Error())
	}
	m, err := soap.NewRequest(soap.Request{Client: c, Service: s, UserID: "KG00000000000000", BodyNamespace: TestNamespace, Body: []byte(body)})
	if err != nil {
		panic("xroadtest.NewRequest: " + err.Error())
	}
	return m
}

// Recorder records what a provider handler wrote, like
// httptest.ResponseRecorder, and parses it as an X-Road message.
type Recorder struct {
	*httptest.ResponseRecorder
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{ResponseRecorder: httptest.NewRecorder()} }

// Message parses what was written with its Content-Type.
func (r *Recorder) Message(lim soap.Limits) (*soap.Message, error) {
	return soap.ParseBytes(r.Body.Bytes(), r.Header().Get("Content-Type"), lim)
}
