package opmon

// idCache interns the slash-form identifiers of records, so aggregating a
// page does not build the same strings once per record. It holds at most
// maxIDs entries; beyond that it builds them without keeping them. Not safe
// for concurrent use: its owner locks.
type idCache struct {
	services map[serviceKey]string
	clients  map[clientKey]string
}

const maxIDs = 10_000

type serviceKey struct{ instance, class, member, subsystem, code, version, typ string }
type clientKey struct{ instance, class, member, subsystem string }

// service is r.Service(); withType prefixes the security server type
// (the SLA's track key) when set.
func (c *idCache) service(r *Record, withType bool) string {
	k := serviceKey{r.ServiceXRoadInstance, r.ServiceMemberClass, r.ServiceMemberCode, r.ServiceSubsystemCode, r.ServiceCode, r.ServiceVersion, ""}
	if withType {
		k.typ = r.SecurityServerType
	}
	if s, ok := c.services[k]; ok {
		return s
	}
	s := r.Service()
	if withType {
		s = r.SecurityServerType + " " + s
	}
	if c.services == nil {
		c.services = map[serviceKey]string{}
	}
	if len(c.services) < maxIDs {
		c.services[k] = s
	}
	return s
}

func (c *idCache) client(r *Record) string {
	k := clientKey{r.ClientXRoadInstance, r.ClientMemberClass, r.ClientMemberCode, r.ClientSubsystemCode}
	if s, ok := c.clients[k]; ok {
		return s
	}
	s := r.Client()
	if c.clients == nil {
		c.clients = map[clientKey]string{}
	}
	if len(c.clients) < maxIDs {
		c.clients[k] = s
	}
	return s
}
