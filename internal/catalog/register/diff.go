package register

import (
	"fmt"
	"slices"
	"sort"
)

// Direction says which side has what the other lacks.
type Direction string

// Directions of drift.
const (
	// CatalogOnly: the catalog describes it but the SS lacks it or has it
	// differently; apply would fix it.
	CatalogOnly Direction = "catalog-only"
	// SSOnly: the SS has it but the catalog does not describe it; apply
	// leaves it alone and a person must decide.
	SSOnly Direction = "ss-only"
)

// Kinds of SS-only drift.
const (
	UndescribedLiveService = "undescribed-live-service" // enabled on the SS, absent from the catalog
	UndescribedService     = "undescribed-service"      // on the SS but disabled
	UndescribedDescription = "undescribed-description"
	UndescribedSubsystem   = "undescribed-subsystem"
	ExtraAccessRight       = "extra-access-right" // a consumer the catalog does not allow
	ExtraEndpoint          = "extra-endpoint"
)

// Drift is one difference between the catalog and the security server.
type Drift struct {
	Direction Direction `json:"direction"`
	// Critical marks a service live on the SS that the catalog does not
	// describe: Tunduk requires every service to be catalogued before it
	// goes live.
	Critical bool   `json:"critical"`
	Kind     string `json:"kind"`
	Subject  string `json:"subject"`
	Detail   string `json:"detail,omitempty"`
}

func (d Drift) String() string {
	mark := " "
	if d.Critical {
		mark = "!"
	}
	s := fmt.Sprintf("%s %-12s %-24s %s", mark, d.Direction, d.Kind, d.Subject)
	if d.Detail != "" {
		s += ": " + d.Detail
	}
	return s
}

// Diff reports drift both ways, critical items first, then SS-only, then
// what the catalog has that the SS lacks (the plan's changes).
func Diff(d *Desired, o *Observed) []Drift {
	var out []Drift
	wanted := map[string]Subsystem{}
	for _, s := range d.Subsystems {
		wanted[s.ID.String()] = s
	}
	for _, cl := range o.Clients {
		if cl.SubsystemCode == "" {
			continue
		}
		sub, described := wanted[cl.ID]
		sds := o.Descriptions[cl.ID]
		if !described {
			out = append(out, Drift{Direction: SSOnly, Kind: UndescribedSubsystem, Subject: cl.ID,
				Detail: fmt.Sprintf("subsystem on the SS with %d service description(s) is not in the catalog", len(sds))})
		}
		for _, sd := range sds {
			var want *Description
			for i := range sub.Descriptions {
				if o.findDescription(cl.ID, sub.Descriptions[i]) != nil && o.findDescription(cl.ID, sub.Descriptions[i]).ID == sd.ID {
					want = &sub.Descriptions[i]
				}
			}
			if want == nil {
				out = append(out, Drift{Direction: SSOnly, Kind: UndescribedDescription, Subject: sd.URL,
					Detail: fmt.Sprintf("%s description of %s is not in the catalog", sd.Type, cl.ID)})
			}
			for _, s := range sd.Services {
				var ws *Service
				if want != nil {
					for i := range want.Services {
						if cl.ID+":"+want.Services[i].FullCode == s.ID {
							ws = &want.Services[i]
						}
					}
				}
				if ws == nil {
					dr := Drift{Direction: SSOnly, Kind: UndescribedService, Subject: s.ID,
						Detail: "disabled on the SS and not in the catalog"}
					if !sd.Disabled {
						dr.Kind, dr.Critical = UndescribedLiveService, true
						dr.Detail = fmt.Sprintf("LIVE on the SS (forwarding to %s) but not described in the catalog", s.URL)
					}
					out = append(out, dr)
					continue
				}
				for _, r := range o.Rights[s.ID] {
					if !slices.Contains(ws.Consumers, r) {
						out = append(out, Drift{Direction: SSOnly, Kind: ExtraAccessRight, Subject: s.ID,
							Detail: r + " has access but is not an allowed consumer in the catalog"})
					}
				}
				for _, e := range s.Endpoints {
					if e.Generated || slices.Contains(ws.Endpoints, Endpoint{Method: e.Method, Path: e.Path}) {
						continue
					}
					out = append(out, Drift{Direction: SSOnly, Kind: ExtraEndpoint, Subject: s.ID, Detail: e.Method + " " + e.Path})
				}
			}
		}
	}
	for _, ch := range MakePlan(d, o).Changes {
		dr := Drift{Direction: CatalogOnly, Kind: string(ch.Kind), Subject: ch.Target}
		switch {
		case ch.From != "" && ch.To != "":
			dr.Detail = "SS has " + ch.From + ", catalog wants " + ch.To
		case ch.To != "":
			dr.Detail = "catalog wants " + ch.To
		}
		out = append(out, dr)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Critical != out[j].Critical {
			return out[i].Critical
		}
		return out[i].Direction == SSOnly && out[j].Direction != SSOnly
	})
	return out
}
