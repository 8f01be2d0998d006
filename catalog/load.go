package catalog

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tunduk-kg/tunduk/internal/yamlpos"
)

// MaxFileSize bounds one catalog file; catalogs are small, hand-written YAML.
const MaxFileSize = yamlpos.MaxBytes

// file is the shape of every catalog YAML file: any file may hold any of
// these sections, so a catalog can be split as its owners like (one file
// per system, per service, per classifier…). Exactly one file in the
// directory has the organisation.
type file struct {
	Pos                Pos           `yaml:"-"`
	Organisation       *Organisation `yaml:"organisation"`
	InformationSystems []*System     `yaml:"informationSystems"`
	Services           []*Service    `yaml:"services"`
	Classifiers        []*Classifier `yaml:"classifiers"`
}

// Load reads every *.yaml and *.yml file under dir (recursively, in lexical
// order) into one Catalog. Syntax errors, unknown keys and values of the
// wrong type are returned as Problems (match with errors.As); Load does not
// apply the completeness rules, call Validate for those.
func Load(dir string) (*Catalog, error) {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: reading %s: %w", dir, err)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("catalog: no *.yaml files in %s", dir)
	}
	c := &Catalog{Dir: dir}
	var probs Problems
	for _, name := range names {
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			rel = name
		}
		b, err := readLimited(name)
		if err != nil {
			return nil, err
		}
		f, ps := parseFile(filepath.ToSlash(rel), b)
		probs = append(probs, ps...)
		if f == nil {
			continue
		}
		if f.Organisation != nil {
			if c.Organisation != nil {
				probs = append(probs, Problem{File: f.Pos.File, Line: f.Pos.At("organisation"), Path: "organisation",
					Msg: fmt.Sprintf("a second organisation; the catalog describes one organisation, already declared at %s", c.Organisation.Pos)})
			} else {
				c.Organisation = f.Organisation
			}
		}
		c.Systems = append(c.Systems, f.InformationSystems...)
		c.Services = append(c.Services, f.Services...)
		c.Classifiers = append(c.Classifiers, f.Classifiers...)
	}
	if len(probs) > 0 {
		return c, probs
	}
	return c, nil
}

func readLimited(name string) ([]byte, error) {
	b, err := yamlpos.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return b, nil
}

// Parse reads one catalog file's content; name is used in positions and
// problems. It is Load for a single file, for tests and tools.
func Parse(name string, b []byte) (*Catalog, error) {
	f, probs := parseFile(name, b)
	c := &Catalog{Dir: filepath.Dir(name)}
	if f != nil {
		c.Organisation = f.Organisation
		c.Systems = f.InformationSystems
		c.Services = f.Services
		c.Classifiers = f.Classifiers
	}
	if len(probs) > 0 {
		return c, probs
	}
	return c, nil
}

func parseFile(name string, b []byte) (*file, Problems) {
	doc, ps := yamlpos.Parse(name, b)
	if len(ps) > 0 {
		return nil, fromYAML(ps)
	}
	if doc.Empty() {
		return nil, nil
	}
	var f file
	if ps := doc.Decode(&f); len(ps) > 0 {
		return nil, fromYAML(ps)
	}
	setPositions(name, doc.Root(), reflect.ValueOf(&f).Elem())
	return &f, nil
}

// fromYAML turns the loader's problems (syntax, unknown keys, wrong
// types) into catalog errors.
func fromYAML(ps yamlpos.Problems) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		out[i] = Problem{File: p.File, Line: p.Line, Path: p.Path, Severity: Error, Msg: p.Msg}
	}
	return out
}

var posType = reflect.TypeOf(Pos{})

// setPositions walks the YAML node tree alongside the decoded value and
// fills in every Pos field, so validation can point at the line to fix.
func setPositions(file string, n *yaml.Node, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		t := v.Type()
		fields := map[string]int{}
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag != "" && tag != "-" {
				fields[tag] = i
			}
		}
		keys := map[string]int{}
		var items map[string][]int
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			keys[k.Value] = k.Line
			if val.Kind == yaml.SequenceNode {
				if items == nil {
					items = map[string][]int{}
				}
				for _, it := range val.Content {
					items[k.Value] = append(items[k.Value], it.Line)
				}
			}
			if fi, ok := fields[k.Value]; ok {
				setPositions(file, val, v.Field(fi))
			}
		}
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).Type == posType && t.Field(i).Name == "Pos" {
				v.Field(i).Set(reflect.ValueOf(Pos{File: file, Line: n.Line, Keys: keys, Items: items}))
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i := 0; i < v.Len() && i < len(n.Content); i++ {
			setPositions(file, n.Content[i], v.Index(i))
		}
	}
}

// LoadValid loads the catalog in dir and validates it. When there are
// errors it returns them as Problems (errors.As), warnings left out; a
// catalog that loads and validates comes back with its warnings.
func LoadValid(dir string) (*Catalog, Problems, error) {
	c, err := Load(dir)
	if err != nil {
		return nil, nil, err
	}
	probs := c.Validate()
	if errs := probs.Errors(); len(errs) > 0 {
		return nil, nil, errs
	}
	return c, probs, nil
}
