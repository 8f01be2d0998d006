// Package soap reads, checks and writes X-Road messages: the X-Road message
// protocol PR-MESS 4.0 carried over SOAP 1.1, as plain text/xml, as SOAP with
// Attachments (multipart/related) and as MTOM/XOP.
//
// A Message keeps the bytes it was parsed from, with offsets to the SOAP
// header block, each header field, the body and the body's wrapper element.
// Header values are views decoded from those bytes; nothing is re-marshalled.
// That is what lets NewResponse copy a request's header block byte for byte
// (X-Road's echo rule), and lets WriteTo reproduce a parsed message exactly.
//
// Validation follows what an X-Road security server checks at the adapter
// level and reports X-Road's own fault codes (Client.MissingHeaderField,
// Server.ServerProxy.ServiceFailed.InvalidBody, …) as *ValidationError.
// Peers' faults are read in both the classic CamelCase form and X-Road 7.8's
// snake case.
//
// Hostile input: DTDs (and so entity expansion, XXE, billion laughs) are
// rejected, and Limits bounds size, nesting depth, attributes per element
// (256), name length (1 KiB), each text token, and the memory attachments
// may use before they spill to temporary files. Parsing is linear in the
// input whatever its shape (repeated attributes are found with a set,
// namespace prefixes resolved through an index once many are in scope;
// FuzzParseCost fails on any input whose cost per byte exceeds a bound),
// and Limits.Context stops it at the caller's deadline. The envelope is read by a
// small tokenizer of its own (xmlscan.go) that expands only the predefined
// entities and character references; it is fuzzed against encoding/xml so
// that it never accepts a token encoding/xml would read differently.
//
// Non-goals: signatures and the security server's own checks (access rights,
// member registration), SOAP 1.2, and mapping bodies to Go types.
//
// Public API: other Go programs may import this package to read, build and check X-Road SOAP 4.0 messages without the rest of tunduk. Everything under internal/ is tunduk's own and may change
// without notice.
package soap
