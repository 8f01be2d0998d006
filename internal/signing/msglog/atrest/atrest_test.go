package atrest_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/atrest"
)

var key = bytes.Repeat([]byte{9}, 32)

func encrypt(t testing.TB, plain []byte) []byte {
	var b bytes.Buffer
	w, err := atrest.NewWriter(&b, key)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	return b.Bytes()
}

func TestRoundTripAndTamper(t *testing.T) {
	for _, n := range []int{0, 1, 65536, 65537, 200000} {
		plain := bytes.Repeat([]byte("tunduk"), n/6+1)[:n]
		ct := encrypt(t, plain)
		got, err := atrest.Decrypt(bytes.NewReader(ct), key)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: round trip failed: %v", n, err)
		}
		if bytes.Contains(ct, []byte("tundukt")) && n > 12 {
			t.Fatalf("n=%d: plaintext visible", n)
		}
		// A flipped bit, a truncation at a chunk boundary and a wrong key all fail.
		bad := append([]byte(nil), ct...)
		bad[len(bad)-1] ^= 1
		cases := map[string][]byte{"flip": bad}
		if n > 65536 {
			cases["cut"] = ct[:len(atrest.Magic)+8+4+65536+16]
		}
		for name, c := range cases {
			if _, err := atrest.Decrypt(bytes.NewReader(c), key); !errors.Is(err, atrest.ErrDecrypt) {
				t.Errorf("n=%d %s: err = %v, want ErrDecrypt", n, name, err)
			}
		}
		if _, err := atrest.Decrypt(bytes.NewReader(ct), bytes.Repeat([]byte{8}, 32)); !errors.Is(err, atrest.ErrDecrypt) {
			t.Errorf("n=%d: wrong key: %v", n, err)
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	f.Add(encrypt(f, []byte("hello")))
	f.Add([]byte(atrest.Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := atrest.Decrypt(bytes.NewReader(data), key); err != nil && !errors.Is(err, atrest.ErrDecrypt) {
			t.Fatalf("error without ErrDecrypt: %v", err)
		}
	})
}
