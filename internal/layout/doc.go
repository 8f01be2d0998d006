// Package layout holds no code: its test checks the module's layering rules
// (docs/design.md) with `go list`, so a change that breaks them fails
// `make test` instead of waiting for a reviewer:
//
//   - soap imports nothing of this module;
//   - nothing under signing/ or internal/signing/ imports adapter or catalog
//     packages;
//   - the key backends are imported by exactly one package under cmd/;
//   - exactly one non-test file calls pkcs7.Parse (the RFC 3161 token
//     parser in internal/signing/tsa);
//   - every package outside internal/ and cmd/ says in its doc that it is
//     public API, and why.
package layout
