package asic

import (
	"bytes"
	"mime"
	"mime/multipart"
	"net/textproto"
)

// Body is the HTTP body of one side of an exchange from its X-Road form
// (what the message log's reader and the verifier digest): a REST body is
// attachment1; a SOAP body is message.xml, or for a multipart message the
// SOAP part and attachments under the recorded boundary.
func Body(contentType string, rest bool, msg []byte, atts [][]byte) []byte {
	if rest {
		if len(atts) > 0 {
			return atts[0]
		}
		return []byte{}
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" || len(atts) == 0 {
		return msg
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if mw.SetBoundary(params["boundary"]) != nil {
		return msg
	}
	for i, p := range append([][]byte{msg}, atts...) {
		h := textproto.MIMEHeader{}
		if i == 0 {
			h.Set("Content-Type", "text/xml; charset=UTF-8")
		} else {
			h.Set("Content-Type", "application/octet-stream")
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			return msg
		}
		w.Write(p)
	}
	mw.Close()
	return b.Bytes()
}
