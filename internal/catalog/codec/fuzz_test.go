package codec_test

import (
	"testing"

	"github.com/tunduk-kg/tunduk/internal/catalog/codec"
)

// FuzzCodec feeds hostile request bodies and backend answers to the
// decoder and the encoder: no panic, and whatever is accepted holds only
// declared, valid values.
func FuzzCodec(f *testing.F) {
	f.Add([]byte(`<w><inn>02207200800561</inn><kind>full</kind><amount>1.5</amount></w>`), []byte(`{"found":true,"debt":1e3,"lots":[{"id":"x"}]}`))
	f.Add([]byte(`<w><inn>02207200800561</inn><inn>1</inn></w>`), []byte(`{"found":"true","count":"1"}`))
	f.Add([]byte(`<w><x:inn xmlns:x="u">0</x:inn></w>`), []byte(`[{"found":1}]`))
	s := svc(true)
	f.Fuzz(func(t *testing.T, body, answer []byte) {
		if v, err := codec.DecodeRequest(s, body); err == nil {
			for name, vals := range v {
				var decl bool
				for _, fl := range s.Input {
					if fl.Name == name {
						decl = true
						for _, x := range vals {
							if _, err := codec.Canonical(fl, x); err != nil {
								t.Fatalf("accepted %s=%q: %v", name, x, err)
							}
						}
					}
				}
				if !decl {
					t.Fatalf("accepted undeclared %s", name)
				}
			}
		}
		_, _ = codec.EncodeOutput(s, answer)
	})
}
