package verify_test

import "crypto/sha256"

func seal256(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
