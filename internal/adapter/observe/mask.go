package observe

import (
	"regexp"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/adapter/kgid"
)

// Masking is by field, not by shape (issue 13 item 5, issue 9 item 6):
//
//   - identifier fields (pin, inn, tin, userId, subject, officer, and any
//     key ending in Pin/Inn/UserId) have every alphanumeric token that
//     holds a digit masked, whatever its length or validity: a 15-digit
//     typo of an INN, or one with a letter, is hidden too;
//   - URL fields (path, url, uri, target, route, location, referer) have
//     the segment after suppliers/, persons/, inn/, pin/ …, any segment
//     with ten or more digits, and identifier query parameters masked;
//   - free text (messages, errors, every other string) has the token after
//     an identifier word masked ("inn=…", "<PIN>…", `"userId":"…"`,
//     "suppliers/…"), and 14-digit runs that are valid PINs or INNs;
//     other digit runs — timestamps, mlog-20261204…-….zip archive names,
//     message ids, member codes — are left readable.

// identifierKey reports whether a log field key names a personal or
// organisation identifier.
func identifierKey(k string) bool {
	n := normKey(k)
	switch n {
	case "pin", "inn", "tin", "pins", "inns", "userid", "xuserid", "subject", "subjects", "officer", "officers", "officerpin":
		return true
	}
	return strings.HasSuffix(n, "pin") || strings.HasSuffix(n, "inn") || strings.HasSuffix(n, "userid")
}

// urlKey reports whether a log field key holds a URL or a URL path.
func urlKey(k string) bool {
	switch normKey(k) {
	case "path", "url", "uri", "target", "route", "location", "referer", "requesturi":
		return true
	}
	return false
}

func normKey(k string) string {
	k = strings.ToLower(k)
	if strings.ContainsAny(k, "_-. ") {
		k = strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(k)
	}
	return k
}

// maskValue masks every alphanumeric token of an identifier field's value
// that holds a digit; a two-letter country prefix before digits
// ("KG2150…") stays.
func maskValue(s string) string {
	if !hasDigit(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !alnum(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && alnum(s[j]) {
			j++
		}
		b.WriteString(maskToken(s[i:j]))
		i = j
	}
	return b.String()
}

func maskToken(tok string) string {
	if !hasDigit(tok) {
		return tok
	}
	if len(tok) > 6 && letter(tok[0]) && letter(tok[1]) && allDigits(tok[2:]) {
		return tok[:2] + kgid.Mask(tok[2:])
	}
	return kgid.Mask(tok)
}

// idParents are path segments whose next segment is an identifier.
var idParents = map[string]bool{"suppliers": true, "persons": true, "inn": true, "pin": true, "tin": true,
	"users": true, "officers": true, "subjects": true, "organisations": true, "organizations": true}

// maskURL masks the identifier segments and query parameters of a URL or
// path, then treats what remains as free text.
func maskURL(s string) string {
	path, query, hasQuery := strings.Cut(s, "?")
	segs := strings.Split(path, "/")
	changed := false
	for i, seg := range segs {
		if seg == "" {
			continue
		}
		if (i > 0 && idParents[strings.ToLower(segs[i-1])]) || digitCount(seg) >= 10 {
			segs[i] = kgid.Mask(seg)
			changed = true
		}
	}
	if changed {
		path = strings.Join(segs, "/")
	}
	if hasQuery {
		params := strings.Split(query, "&")
		for i, p := range params {
			if k, v, ok := strings.Cut(p, "="); ok && identifierKey(k) && v != "" {
				params[i] = k + "=" + kgid.Mask(v)
			}
		}
		path += "?" + strings.Join(params, "&")
	}
	return maskText(path)
}

// inContext finds a token that follows an identifier word: inn=…,
// "pin": "…", <INN>…, userId …, suppliers/… . The token must hold a
// digit, so "subject to change" stays.
var inContext = regexp.MustCompile(`(?i)\b(?:pin|inn|tin|userid|user-id|x-user-id|officer|officerpin|representativepin|subject|suppliers|persons)\b` +
	`(?:"|')?\s*(?:[:=>/]|\s)\s*(?:"|')?\s*([A-Za-z0-9][A-Za-z0-9-]*)`)

// maskText masks identifiers in free text: tokens after an identifier
// word, and 14-digit runs that are valid PINs or INNs. Other digit runs
// are left alone.
func maskText(s string) string {
	if !hasDigit(s) {
		return s
	}
	if mayNameIdentifier(s) && inContext.MatchString(s) {
		s = replaceSubmatch(s, inContext, func(tok string) string {
			if !hasDigit(tok) {
				return tok
			}
			return kgid.Mask(tok)
		})
	}
	return maskValidRuns(s)
}

// replaceSubmatch replaces the first capture group of every match of re.
func replaceSubmatch(s string, re *regexp.Regexp, f func(string) string) string {
	idx := re.FindAllStringSubmatchIndex(s, -1)
	var b strings.Builder
	last := 0
	for _, m := range idx {
		b.WriteString(s[last:m[2]])
		b.WriteString(f(s[m[2]:m[3]]))
		last = m[3]
	}
	b.WriteString(s[last:])
	return b.String()
}

// maskValidRuns masks runs of exactly 14 digits that are a valid PIN or
// INN (an organisation INN starts with 0; a PIN with the sex digit and a
// date of birth), so a YYYYMMDDhhmmss timestamp is not one.
func maskValidRuns(s string) string {
	var b []byte
	for i := 0; i < len(s); {
		if !digit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && digit(s[j]) {
			j++
		}
		if j-i == kgid.Len && (kgid.ValidateINN(s[i:j]) == nil || kgid.ValidatePIN(s[i:j]) == nil) {
			if b == nil {
				b = []byte(s)
			}
			copy(b[i:j], kgid.Mask(s[i:j]))
		}
		i = j
	}
	if b == nil {
		return s
	}
	return string(b)
}

// mayNameIdentifier reports whether s may hold one of inContext's words:
// each has an ASCII letter beyond f, and case folding maps only such
// letters to non-ASCII ones (ſ, K). Hex ids, addresses and durations — most
// of what a log line carries — skip the regular expression.
func mayNameIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // ASCII lower case
		if c >= 'g' && c <= 'z' || s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if digit(s[i]) {
			return true
		}
	}
	return false
}

func digitCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if digit(s[i]) {
			n++
		}
	}
	return n
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !digit(s[i]) {
			return false
		}
	}
	return s != ""
}

func digit(c byte) bool  { return c >= '0' && c <= '9' }
func letter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func alnum(c byte) bool  { return digit(c) || letter(c) }
