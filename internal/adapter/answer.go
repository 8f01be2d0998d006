package adapter

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// WriteResult writes a check's result as WriteJSON does, byte for byte,
// without passing the receipt through encoding/json: json.RawMessage is
// re-scanned and compacted on every encode, which for a receipt (about a
// kilobyte) cost more than the rest of the answer. The receipt comes from
// internal/signing/evidence, which writes it compact. The result is encoded
// without it and the receipt spliced in as the last member of evidence
// (Evidence.Receipt is its last field, Result.Evidence Result's last);
// TestWriteResult holds this to json.Marshal's output.
func WriteResult(w http.ResponseWriter, status int, res *Result) {
	if res == nil || res.Evidence == nil || len(res.Evidence.Receipt) == 0 {
		WriteJSON(w, status, res)
		return
	}
	ev := *res.Evidence
	rc := ev.Receipt
	ev.Receipt = nil
	r := *res
	r.Evidence = &ev
	buf := answerBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // a large answer's buffer is not kept
			answerBufs.Put(buf)
		}
	}()
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&r); err != nil || !bytes.HasSuffix(buf.Bytes(), []byte("}}\n")) {
		WriteJSON(w, status, res)
		return
	}
	buf.Truncate(buf.Len() - 3)
	buf.WriteString(`,"receipt":`)
	buf.Write(rc)
	buf.WriteString("}}\n")
	// The whole answer is here: its length spares the client (and the
	// server) chunked encoding, which an answer with its receipt (over
	// 2 KiB) would otherwise get.
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	jsonHeader(w, status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}
