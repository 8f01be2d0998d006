package evidence

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/witness"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// pusher sends each new checkpoint to every configured witness, in the
// background (sealing never waits for a witness), one push at a time. It
// remembers the size each witness holds per origin and sends the
// consistency proof from it; a witness that holds another size answers
// 409 with it and the push is retried once from there.
type pusher struct {
	clients []*witness.Client
	logger  *zap.Logger
	log     *Log
	mu      sync.Mutex // one push at a time, in order
	known   map[string]uint64
	wg      sync.WaitGroup
}

func newPusher(urls []string, logger *zap.Logger) *pusher {
	p := &pusher{logger: logger, known: map[string]uint64{}}
	for _, u := range urls {
		p.clients = append(p.clients, &witness.Client{URL: u, HTTP: &http.Client{Timeout: 10 * time.Second}})
	}
	return p
}

// push is tlog's OnCheckpoint hook; it runs within the seal, so the work
// happens in a goroutine.
func (p *pusher) push(group string, signed []byte) {
	if len(p.clients) == 0 {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.clients {
			if err := p.send(c, group, signed); err != nil {
				p.logger.Warn("evidence: witness did not take the checkpoint", zap.String("witness", c.URL),
					zap.String("group", group), zap.Error(err))
			}
		}
	}()
}

func (p *pusher) send(c *witness.Client, group string, signed []byte) error {
	cp, err := tlog.ParseCheckpoint(signed, "", p.log.opts.Signer.Public())
	if err != nil {
		return err
	}
	key := c.URL + "\x00" + cp.Origin
	old := p.known[key]
	for try := 0; try < 2; try++ {
		if old > cp.Size {
			return nil // the witness already holds a newer checkpoint
		}
		var pr [][]byte
		if old > 0 {
			if pr, err = p.log.tree.Consistency(group, old, cp.Size); err != nil {
				return err
			}
		}
		err = c.Add(&witness.Request{OldSize: old, Proof: pr, Checkpoint: signed})
		var conflict *witness.ErrConflict
		if errors.As(err, &conflict) {
			old = conflict.Size
			p.known[key] = old
			continue
		}
		if err == nil {
			p.known[key] = cp.Size
		}
		return err
	}
	return err
}

// Flush waits for checkpoint pushes in flight.
func (l *Log) Flush() { l.hub.wg.Wait() }
