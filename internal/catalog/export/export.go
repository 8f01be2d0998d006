// Package export makes what leaves the catalog directory: the public view
// — the JSON document and static HTML page that Tunduk participants and
// citizens may read, and an http.Handler that serves them (the gateway
// mounts it at /catalog) — and, separately, the generated WSDL/OpenAPI
// descriptions the security server downloads (DescriptionsHandler,
// internal only).
//
// Catalog data is public except personal data (DOMAIN.md §3), and a
// participant's internal addresses are nobody else's business. Build is
// where that line is drawn: it copies only public facts, so a new model
// field stays private until it is added here on purpose. Left out:
// authorised persons (names, PINs, contacts), every field and data element
// flagged personalData (objects whose fields are all personal go too; the
// service says how many personal-data fields it has instead), backends
// (URLs, timeouts), and the database kind of each system.
package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/atomicfile"
)

// Catalog is the public catalog document (catalog.json).
type Catalog struct {
	Organisation Organisation `json:"organisation"`
	Systems      []System     `json:"informationSystems"`
	Services     []Service    `json:"services"`
	Classifiers  []Classifier `json:"classifiers"`
}

// Organisation is the public part of catalog.Organisation.
type Organisation struct {
	ID          string       `json:"id"` // X-Road member id, slash form
	Name        catalog.Text `json:"name"`
	ShortName   catalog.Text `json:"shortName,omitzero"`
	Address     catalog.Text `json:"address"`
	Instance    string       `json:"instance"`
	MemberClass string       `json:"memberClass"`
	MemberCode  string       `json:"memberCode"`
	INN         string       `json:"inn,omitempty"`
	Website     string       `json:"website,omitempty"`
}

// System is the public part of catalog.System.
type System struct {
	ID          string       `json:"id"` // X-Road subsystem id
	Code        string       `json:"code"`
	Name        catalog.Text `json:"name"`
	Description catalog.Text `json:"description"`
	// DataElements are the non-personal data elements.
	DataElements []DataElement `json:"dataElements"`
	// PersonalDataElements counts the elements left out as personal data.
	PersonalDataElements int           `json:"personalDataElements"`
	Identification       catalog.Text  `json:"identification"`
	Logging              Logging       `json:"logging"`
	Consumes             []Consumption `json:"consumes,omitempty"`
	Services             []string      `json:"services,omitempty"` // ids of the services it provides
}

// DataElement is a non-personal data element of a system.
type DataElement struct {
	Name       catalog.Text `json:"name"`
	Format     string       `json:"format"`
	Classifier string       `json:"classifier,omitempty"`
}

// Logging is the public logging answer.
type Logging struct {
	What           catalog.Text `json:"what"`
	RetentionYears int          `json:"retentionYears"`
	Access         catalog.Text `json:"access"`
}

// Consumption is a service a system consumes.
type Consumption struct {
	Service    string       `json:"service"`
	Purpose    catalog.Text `json:"purpose"`
	LegalBasis []LegalAct   `json:"legalBasis"`
}

// LegalAct is a law and article.
type LegalAct struct {
	Title   catalog.Text `json:"title"`
	Article string       `json:"article"`
	URL     string       `json:"url,omitempty"`
}

// Service is the public part of catalog.Service.
type Service struct {
	ID          string       `json:"id"` // X-Road service id
	Subsystem   string       `json:"subsystem"`
	Code        string       `json:"code"`
	Version     string       `json:"version"`
	Protocol    string       `json:"protocol"`
	Method      string       `json:"method,omitempty"`
	Path        string       `json:"path,omitempty"`
	Title       catalog.Text `json:"title"`
	Description catalog.Text `json:"description"`
	// Input and Output are the non-personal fields.
	Input  []Field `json:"input"`
	Output []Field `json:"output"`
	// PersonalData says the service processes personal data;
	// PersonalDataFields counts the fields left out for that reason.
	PersonalData       bool       `json:"personalData"`
	PersonalDataFields int        `json:"personalDataFields"`
	LegalBasis         []LegalAct `json:"legalBasis"`
	SLA                SLA        `json:"sla"`
	AllowedConsumers   []string   `json:"allowedConsumers"`
}

// Field is a non-personal input or output field.
type Field struct {
	Name       string       `json:"name"`
	Type       string       `json:"type"`
	Title      catalog.Text `json:"title"`
	Required   bool         `json:"required,omitempty"`
	Repeated   bool         `json:"repeated,omitempty"`
	Pattern    string       `json:"pattern,omitempty"`
	Classifier string       `json:"classifier,omitempty"`
	In         string       `json:"in,omitempty"`
	Fields     []Field      `json:"fields,omitempty"`
}

// SLA is the promised service level.
type SLA struct {
	Availability         float64 `json:"availability"`
	ResponseTime         string  `json:"responseTime"`
	MaxRequestsPerSecond int     `json:"maxRequestsPerSecond,omitempty"`
	SupportHours         string  `json:"supportHours,omitempty"`
}

// Classifier is a reference book.
type Classifier struct {
	Code    string          `json:"code"`
	Name    catalog.Text    `json:"name"`
	Owner   string          `json:"owner"`
	Version string          `json:"version,omitempty"`
	Values  []ClassifierVal `json:"values,omitempty"`
	Source  string          `json:"source,omitempty"`
}

// ClassifierVal is one classifier entry.
type ClassifierVal struct {
	Code string       `json:"code"`
	Name catalog.Text `json:"name"`
}

// Build makes the public view of a (validated) catalog.
func Build(c *catalog.Catalog) (*Catalog, error) {
	o := c.Organisation
	if o == nil {
		return nil, fmt.Errorf("export: the catalog has no organisation")
	}
	p := &Catalog{
		Organisation: Organisation{
			ID: o.MemberID(), Name: o.Name, ShortName: o.ShortName, Address: o.Address,
			Instance: o.InstanceOrDefault(), MemberClass: o.MemberClass, MemberCode: o.MemberCode,
			INN: o.INN, Website: o.Website,
		},
		Systems: []System{}, Services: []Service{}, Classifiers: []Classifier{},
	}
	for _, s := range c.Systems {
		ps := System{
			ID: o.SubsystemID(s.Code).String(), Code: s.Code, Name: s.Name, Description: s.Description,
			DataElements:   []DataElement{},
			Identification: s.Inventory.Identification,
			Logging: Logging{What: s.Inventory.Logging.What, RetentionYears: s.Inventory.Logging.RetentionYears,
				Access: s.Inventory.Logging.Access},
		}
		for _, d := range s.Inventory.DataElements {
			if d.PersonalData {
				ps.PersonalDataElements++
				continue
			}
			ps.DataElements = append(ps.DataElements, DataElement{Name: d.Name, Format: d.Format, Classifier: d.Classifier})
		}
		for _, cn := range s.Consumes {
			ps.Consumes = append(ps.Consumes, Consumption{Service: cn.Service, Purpose: cn.Purpose, LegalBasis: acts(cn.LegalBasis)})
		}
		for _, sv := range c.ServicesOf(s.Code) {
			ps.Services = append(ps.Services, sv.ServiceID(o).String())
		}
		p.Systems = append(p.Systems, ps)
	}
	for _, s := range c.Services {
		ps := Service{
			ID: s.ServiceID(o).String(), Subsystem: s.Subsystem, Code: s.Code, Version: s.Version,
			Protocol: string(s.Protocol), Title: s.Title, Description: s.Description,
			LegalBasis: acts(s.LegalBasis),
			SLA: SLA{Availability: s.SLA.Availability, ResponseTime: s.SLA.ResponseTime.String(),
				MaxRequestsPerSecond: s.SLA.MaxRequestsPerSecond, SupportHours: s.SLA.SupportHours},
			AllowedConsumers: append([]string{}, s.AllowedConsumers...),
		}
		if s.Protocol == catalog.REST {
			ps.Method, ps.Path = s.Method, s.Path
		}
		var n int
		ps.Input, n = fields(s.Input)
		ps.PersonalDataFields += n
		ps.Output, n = fields(s.Output)
		ps.PersonalDataFields += n
		ps.PersonalData = ps.PersonalDataFields > 0
		p.Services = append(p.Services, ps)
	}
	for _, cl := range c.Classifiers {
		pc := Classifier{Code: cl.Code, Name: cl.Name, Owner: cl.Owner, Version: cl.Version, Source: cl.Source}
		for _, v := range cl.Values {
			pc.Values = append(pc.Values, ClassifierVal{Code: v.Code, Name: v.Name})
		}
		p.Classifiers = append(p.Classifiers, pc)
	}
	return p, nil
}

func acts(in []*catalog.LegalAct) []LegalAct {
	out := []LegalAct{}
	for _, a := range in {
		out = append(out, LegalAct{Title: a.Title, Article: a.Article, URL: a.URL})
	}
	return out
}

// fields copies the non-personal fields and counts the personal ones left
// out (with all their sub-fields). An object whose every field is personal
// is itself left out.
func fields(in []*catalog.Field) ([]Field, int) {
	out := []Field{}
	dropped := 0
	for _, f := range in {
		if f.PersonalData {
			dropped += 1 + countAll(f.Fields)
			continue
		}
		pf := Field{Name: f.Name, Type: string(f.Type), Title: f.Title, Required: f.Required, Repeated: f.Repeated,
			Pattern: f.Pattern, Classifier: f.Classifier, In: f.In}
		if f.Type == catalog.TypeObject {
			sub, n := fields(f.Fields)
			dropped += n
			if len(sub) == 0 {
				dropped++ // an object of personal data only is personal data
				continue
			}
			pf.Fields = sub
		}
		out = append(out, pf)
	}
	return out, dropped
}

func countAll(fs []*catalog.Field) int {
	n := 0
	catalog.WalkFields(fs, func(string, *catalog.Field) { n++ })
	return n
}

// JSON encodes the public catalog, indented, with a final newline.
func (p *Catalog) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return buf.Bytes(), nil
}

// Files are the exported files by slash path relative to the export
// directory, with their content: catalog.json, the page in each of Langs
// (PagePath) and their stylesheet (StylePath), linked to each other
// relatively.
func (p *Catalog) Files() (map[string][]byte, error) {
	j, err := p.JSON()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{"catalog.json": j, StylePath: styleCSS}
	for _, lang := range Langs {
		h, err := p.Page(lang, fileLinks(lang))
		if err != nil {
			return nil, err
		}
		files[PagePath(lang)] = h
	}
	return files, nil
}

// WriteOptions configure Write.
type WriteOptions struct {
	// Force overwrites a directory that changed since the last export.
	Force bool
}

// Write writes the public catalog (Files) into dir, created if needed,
// and records what it wrote in dir/ManifestName (sha256sum format).
//
// A directory that changed since the last export — a file edited or
// added by hand, or any content without a manifest — is not overwritten
// unless opts.Force: Write returns a *ChangedError naming the files.
// Re-exporting over an untouched previous export is always allowed.
func (p *Catalog) Write(dir string, opts WriteOptions) error {
	files, err := p.Files()
	if err != nil {
		return err
	}
	if !opts.Force {
		changed, err := Changed(dir)
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			return &ChangedError{Dir: dir, Files: changed}
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var manifest bytes.Buffer
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := writeFile(path, files[name]); err != nil {
			return err
		}
		sum := sha256.Sum256(files[name])
		fmt.Fprintf(&manifest, "%x  %s\n", sum, name)
	}
	return writeFile(filepath.Join(dir, ManifestName), manifest.Bytes())
}

// ManifestName is the file in an export directory listing what the last
// export wrote, as `sha256sum` prints it (check with sha256sum -c).
const ManifestName = ".tunduk-export.sha256"

// ChangedError is returned by Write for a directory that changed since
// the last export.
type ChangedError struct {
	Dir   string
	Files []string // slash paths relative to Dir, sorted
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("export: %s changed since the last export (%s); pass --force to overwrite it, or export to a new directory",
		e.Dir, strings.Join(e.Files, ", "))
}

// Changed lists the files of dir that are not as the last export wrote
// them: edited, added, or (without a manifest) any file at all. A missing
// or empty directory has none. Files the last export wrote and that are
// gone are not listed: writing them again loses nothing.
func Changed(dir string) ([]string, error) {
	want := map[string]string{}
	m, err := os.ReadFile(filepath.Join(dir, ManifestName))
	switch {
	case err == nil:
		for _, line := range strings.Split(strings.TrimSpace(string(m)), "\n") {
			sum, name, ok := strings.Cut(line, "  ")
			if ok {
				want[name] = sum
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("export: %w", err)
	}
	var changed []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == ManifestName {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(b); want[rel] != hex.EncodeToString(sum[:]) {
			changed = append(changed, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	sort.Strings(changed)
	return changed, nil
}

// writeFile replaces name atomically, so a web server never serves half a file.
func writeFile(name string, b []byte) error {
	if err := atomicfile.WriteFile(name, b, 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
