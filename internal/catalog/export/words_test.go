package export

import "testing"

// Every label of the page has a text in every language, none empty.
func TestWordsInEveryLanguage(t *testing.T) {
	for k, texts := range words {
		if len(texts) != len(Langs) {
			t.Errorf("%s: %d texts for %d languages", k, len(texts), len(Langs))
			continue
		}
		for i, s := range texts {
			if s == "" {
				t.Errorf("%s: no text in %s", k, Langs[i])
			}
		}
	}
}
