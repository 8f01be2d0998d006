package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/catalog/register"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/signing/msglog"

	// The key backends named by kms URIs in the keys section.
	_ "github.com/tunduk-kg/tunduk/signing/kms/pkcs11kms"
	_ "github.com/tunduk-kg/tunduk/signing/kms/softkms"
)

// signedRecorder records applies in the signed administrative log (the
// journal archive reads also go to: messageLog.dir/access), so who changed
// the security server, and how, is as tamper-evident as the exchanges.
type signedRecorder struct {
	log *msglog.Log
}

// openSignedRecorder opens the administrative log when the message log's
// signing key is configured; nil, nil otherwise (the JSON-lines apply log
// is used then). close seals the log and releases the key.
func openSignedRecorder(ctx context.Context, cfg *config.Config) (rec *signedRecorder, close func() error, err error) {
	if cfg.MessageLog.SigningKey == "" {
		return nil, nil, nil
	}
	log := zap.NewNop()
	signer, cert, closeKey, err := cfg.MessageLogSigner(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	ao, err := cfg.MessageLog.AccessOptions(signer, cert, log)
	if err != nil {
		closeKey()
		return nil, nil, err
	}
	l, err := msglog.Open(ao.Journal)
	if err != nil {
		closeKey()
		return nil, nil, fmt.Errorf("signed administrative log: %w", err)
	}
	return &signedRecorder{log: l}, func() error {
		err := l.Close()
		if kerr := closeKey(); err == nil {
			err = kerr
		}
		return err
	}, nil
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
