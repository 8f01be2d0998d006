package register

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
)

// Observed is what the security server has for the owner member: its
// clients and, for each of the member's subsystems, the service
// descriptions with their services and each service's access rights.
type Observed struct {
	Clients      []ssapi.ClientInfo
	Descriptions map[string][]ssapi.ServiceDescription // by subsystem id
	Rights       map[string][]string                   // service id → service client ids
}

// Observe reads the security server's state for d's owner member. Every
// subsystem of the member found on the SS is read, not only those the
// catalog describes, so that Diff can report what the catalog lacks.
func Observe(ctx context.Context, c *ssapi.Client, d *Desired) (*Observed, error) {
	clients, err := c.Clients(ctx, ssapi.ClientQuery{Instance: d.Owner.Instance, MemberClass: d.Owner.MemberClass, MemberCode: d.Owner.MemberCode})
	if err != nil {
		return nil, fmt.Errorf("register: reading clients: %w", err)
	}
	o := &Observed{Descriptions: map[string][]ssapi.ServiceDescription{}, Rights: map[string][]string{}}
	for _, cl := range clients {
		// The server filters by search string; keep exact matches only.
		if cl.InstanceID != d.Owner.Instance || cl.MemberClass != d.Owner.MemberClass || cl.MemberCode != d.Owner.MemberCode {
			continue
		}
		o.Clients = append(o.Clients, cl)
		if cl.SubsystemCode == "" {
			continue
		}
		sds, err := c.ServiceDescriptions(ctx, cl.ID)
		if err != nil {
			return nil, fmt.Errorf("register: reading service descriptions of %s: %w", cl.ID, err)
		}
		o.Descriptions[cl.ID] = sds
		for _, sd := range sds {
			for _, s := range sd.Services {
				scs, err := c.ServiceClients(ctx, s.ID)
				if err != nil {
					return nil, fmt.Errorf("register: reading access rights of %s: %w", s.ID, err)
				}
				ids := make([]string, 0, len(scs))
				for _, sc := range scs {
					ids = append(ids, sc.ID)
				}
				o.Rights[s.ID] = ids
			}
		}
	}
	return o, nil
}

func (o *Observed) hasClient(id string) bool {
	return slices.ContainsFunc(o.Clients, func(c ssapi.ClientInfo) bool { return c.ID == id })
}

// findDescription finds the SS description matching a desired one: the
// same URL and type, or for REST/OPENAPI3 the one holding its service code.
func (o *Observed) findDescription(client string, want Description) *ssapi.ServiceDescription {
	sds := o.Descriptions[client]
	for i := range sds {
		if sds[i].Type == want.Type && sds[i].URL == want.URL {
			return &sds[i]
		}
	}
	if want.Type == ssapi.TypeWSDL {
		return nil
	}
	for i := range sds {
		if sds[i].Type != want.Type {
			continue
		}
		for _, s := range sds[i].Services {
			if s.FullServiceCode == want.RestServiceCode || s.ServiceCode == want.RestServiceCode {
				return &sds[i]
			}
		}
	}
	return nil
}

// Kind names a change.
type Kind string

// Kinds of change, in the order Plan emits them.
const (
	AddClient         Kind = "add-client"
	AddDescription    Kind = "add-description"
	UpdateDescription Kind = "update-description"
	UpdateService     Kind = "update-service"
	AddEndpoint       Kind = "add-endpoint"
	GrantAccess       Kind = "grant-access"
	EnableDescription Kind = "enable-description"
	DisableDesc       Kind = "disable-description"
)

// Change is one step of a plan.
type Change struct {
	Kind Kind `json:"kind"`
	// Client is the subsystem the change belongs to.
	Client string `json:"client"`
	// Target names what changes: a client id, a description URL or a
	// service id.
	Target string `json:"target"`
	// From and To summarise the values before and after.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`

	// What Apply needs; not part of the record.
	desc      Description
	descID    string // the SS id of an existing description
	svc       Service
	endpoint  Endpoint
	consumers []string
}

func (c Change) String() string {
	s := fmt.Sprintf("%-19s %s", c.Kind, c.Target)
	switch {
	case c.From != "" && c.To != "":
		s += ": " + c.From + " -> " + c.To
	case c.To != "":
		s += ": " + c.To
	}
	return s
}

// Plan is the ordered list of changes that brings the SS to the desired
// state. An empty plan means the SS already matches.
type Plan struct {
	Changes []Change
	// observed is the state the plan was computed from.
	observed *Observed
}

// Empty reports whether nothing needs to change.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// MakePlan computes the changes from the observed state to d. The order is
// clients, descriptions, service settings, endpoints, access rights, and
// enabling last, so that no service is live before it is set up.
func MakePlan(d *Desired, o *Observed) *Plan {
	p := &Plan{observed: o}
	var enables []Change
	for _, sub := range d.Subsystems {
		client := sub.ID.String()
		if !o.hasClient(client) {
			p.Changes = append(p.Changes, Change{Kind: AddClient, Client: client, Target: client, To: "subsystem client"})
		}
		for _, want := range sub.Descriptions {
			have := o.findDescription(client, want)
			target := want.URL
			if have == nil {
				p.Changes = append(p.Changes, Change{Kind: AddDescription, Client: client, Target: target,
					To: describe(want), desc: want})
			} else if have.URL != want.URL {
				p.Changes = append(p.Changes, Change{Kind: UpdateDescription, Client: client, Target: target,
					From: have.URL, To: want.URL, desc: want, descID: have.ID})
			}
			id := ""
			if have != nil {
				id = have.ID
			}
			for _, ws := range want.Services {
				p.Changes = append(p.Changes, serviceChanges(client, want, id, ws, have, o)...)
			}
			switch {
			case want.Enabled && (have == nil || have.Disabled):
				enables = append(enables, Change{Kind: EnableDescription, Client: client, Target: target,
					From: "disabled", To: "enabled", desc: want, descID: id})
			case !want.Enabled && have != nil && !have.Disabled:
				enables = append(enables, Change{Kind: DisableDesc, Client: client, Target: target,
					From: "enabled", To: "disabled", desc: want, descID: id})
			}
		}
	}
	p.Changes = append(p.Changes, enables...)
	return p
}

func describe(d Description) string {
	if d.RestServiceCode != "" {
		return d.Type + " (service " + d.RestServiceCode + ")"
	}
	return d.Type
}

func settings(url string, timeout int, ssl bool) string {
	return fmt.Sprintf("url=%s timeout=%ds ssl_auth=%t", url, timeout, ssl)
}

func serviceChanges(client string, d Description, descID string, ws Service, have *ssapi.ServiceDescription, o *Observed) []Change {
	var out []Change
	sid := client + ":" + ws.FullCode
	var cur *ssapi.Service
	if have != nil {
		for i := range have.Services {
			if have.Services[i].ID == sid {
				cur = &have.Services[i]
			}
		}
	}
	to := settings(ws.URL, ws.Timeout, ws.SSLAuth)
	switch {
	case cur == nil:
		out = append(out, Change{Kind: UpdateService, Client: client, Target: sid, From: "(new)", To: to, desc: d, descID: descID, svc: ws})
	case cur.URL != ws.URL || cur.Timeout != ws.Timeout || cur.SSLAuth != ws.SSLAuth:
		out = append(out, Change{Kind: UpdateService, Client: client, Target: sid,
			From: settings(cur.URL, cur.Timeout, cur.SSLAuth), To: to, desc: d, descID: descID, svc: ws})
	}
	for _, e := range ws.Endpoints {
		if cur != nil && slices.ContainsFunc(cur.Endpoints, func(x ssapi.Endpoint) bool { return x.Method == e.Method && x.Path == e.Path }) {
			continue
		}
		out = append(out, Change{Kind: AddEndpoint, Client: client, Target: sid, To: e.Method + " " + e.Path, svc: ws, endpoint: e})
	}
	var missing []string
	for _, c := range ws.Consumers {
		if cur == nil || !slices.Contains(o.Rights[sid], c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		out = append(out, Change{Kind: GrantAccess, Client: client, Target: sid, To: strings.Join(missing, ", "), svc: ws, consumers: missing})
	}
	return out
}
