package apply

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/tunduk-kg/tunduk/internal/catalog/register"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// signedRecorder records applies in the signed administrative log (the
// journal archive reads also go to: messageLog.dir/access), so who changed
// the security server, and how, is as tamper-evident as the exchanges. The
// log is opened (with its key) by the Factory's AdminLog.
type signedRecorder struct {
	log *msglog.Log
}

// RecordApply appends one apply phase (begin with the plan, end with each
// change's outcome) and returns once it is durable.
func (s *signedRecorder) RecordApply(ctx context.Context, r register.ApplyRecord) error {
	detail, err := json.Marshal(r)
	if err != nil {
		return err
	}
	outcome := r.Outcome
	if outcome == "" {
		outcome = "started"
	}
	ev := &msglog.Event{
		Actor: r.Actor.ID, Action: "catalog-apply-" + r.Phase, Outcome: outcome,
		Fields: []msglog.Field{
			{Name: "securityServer", Value: r.SecurityServer},
			{Name: "planned", Value: strconv.Itoa(len(r.Planned))},
			{Name: "results", Value: strconv.Itoa(len(r.Results))},
			{Name: "record", Value: string(detail)},
		},
	}
	_, err = s.log.Append(ctx, &msglog.Record{Type: msglog.TypeCatalogApply, Event: ev})
	return err
}
