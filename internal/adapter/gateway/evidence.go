package gateway

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/tunduk-kg/tunduk/internal/adapter"
)

// evidence answers GET /v1/evidence/{recordId}: the record's current
// receipt (the promise, then the inclusion proof once sealed), for a
// caller allowed to run the record's check. ?from=N adds a consistency
// proof from the checkpoint of size N the portal holds.
func (g *Gateway) evidence(w http.ResponseWriter, r *http.Request, cl *call) error {
	id := r.PathValue("recordId")
	var from uint64
	if v := r.URL.Query().Get("from"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return adapter.BadRequest("invalid_from", "from", "from must be the tree size of a checkpoint you hold (a non-negative integer)")
		}
		from = n
	}
	rc, check, err := g.o.Receipts.Receipt(id, from)
	if errors.Is(err, adapter.ErrNoReceipt) || (err == nil && check == "") {
		return &adapter.RequestError{Status: http.StatusNotFound, Code: "no_receipt", Field: "recordId",
			Message: "no receipt for this record: it is not a record of the signed message log, or not a check's"}
	}
	if err != nil {
		return err
	}
	if !cl.caller.allowed(check) {
		return forbidden(cl.caller, []string{check})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(rc)
	return nil
}
