package catalog_test

import (
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
)

func TestExampleCatalogIsValid(t *testing.T) {
	c, err := catalog.Load("../configs/catalog")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Validate() {
		t.Errorf("%s", p)
	}
}
