// Package asic reads and writes the containers and archives of X-Road's
// message log: ASiC-E containers (ETSI TS 102 918) holding one logged
// message with its signature and time-stamp evidence, and the
// mlog-<first>-<last>-<16hex>.zip archives that bundle containers with a
// linkinginfo entry chaining every container's digest to the previous
// archive.
//
// Container entries, as X-Road names them:
//
//	mimetype                    application/vnd.etsi.asic-e+zip
//	message.xml                 the message (SOAP XML, or a REST dump)
//	attachment1, attachment2 …  attachments (REST: attachment1 is the body)
//	META-INF/signatures.xml     XAdES signature (package seal)
//	sig-hashchainresult.xml     batch signature: Merkle result (package hashchain)
//	sig-hashchain.xml           batch signature: this message's chain
//	META-INF/timestamp.tst      batch time-stamp token (DER)
//	ts-hashchainresult.xml      batch time-stamp: Merkle result over signatures
//	ts-hashchain.xml            batch time-stamp: this signature's chain
//	META-INF/manifest.xml       OpenDocument manifest of the data entries
//	META-INF/ASiCManifest.xml   what the batch time-stamp covers
//
// Reading is lenient where X-Road is (entries are found by name; mimetype
// need be neither first nor STORED) and strict where it is (missing parts
// are AsicMimeTypeNotFound, AsicMessageNotFound, … errors). Reading is
// bounded by [Limits]: entry count, each entry's size, a container's
// total, and how far an entry may inflate (MaxInflateRatio), all checked
// on what entries declare before anything is inflated. A reader holding
// one container therefore needs at most MaxEntrySize (the container's
// bytes) plus MaxTotalSize (its entries), 128 MiB with the defaults,
// whatever the archive; a 500 KB zip bomb is refused before it costs
// memory. Non-goals: encryption at rest (.zip.gpg), signature
// and time-stamp checking (packages seal and verify).
package asic

import (
	"fmt"
)

// MimeType is the ASiC-E media type stored in the mimetype entry.
const MimeType = "application/vnd.etsi.asic-e+zip"

// Entry names.
const (
	EntryMimetype          = "mimetype"
	EntryMessage           = "message.xml"
	EntrySignature         = "META-INF/signatures.xml"
	EntrySigHashChainRes   = "sig-hashchainresult.xml"
	EntrySigHashChain      = "sig-hashchain.xml"
	EntryTSHashChainResult = "ts-hashchainresult.xml"
	EntryTSHashChain       = "ts-hashchain.xml"
	EntryManifest          = "META-INF/manifest.xml"
	EntryASiCManifest      = "META-INF/ASiCManifest.xml"
	EntryTimestamp         = "META-INF/timestamp.tst"
	EntryLinkingInfo       = "linkinginfo"
	// EntryExchange is tunduk's exchange metadata (portal caller, officer,
	// request id, outcome, timing, subjects) beside an X-Road message.xml:
	// a name X-Road's AsicContainer does not know and so ignores, covered
	// by the container's hash chain as an extra part of the message
	// (container format 2).
	EntryExchange = "tunduk-exchange.xml"
	// URIExchange is how the hash chain references EntryExchange.
	URIExchange      = "/" + EntryExchange
	attachmentPrefix = "attachment"
)

// Error codes, as X-Road names them (CamelCase form). The InvalidLogArchive
// codes refine X-Road's InvalidLogArchiveException.
const (
	CodeMimeTypeNotFound        = "AsicMimeTypeNotFound"
	CodeInvalidMimeType         = "AsicInvalidMimeType"
	CodeMessageNotFound         = "AsicMessageNotFound"
	CodeSignatureNotFound       = "AsicSignatureNotFound"
	CodeHashChainResultNotFound = "AsicHashChainResultNotFound"
	CodeHashChainNotFound       = "AsicHashChainNotFound"
	CodeTimestampNotFound       = "AsicTimestampNotFound"
	CodeManifestNotFound        = "AsicManifestNotFound"
	CodeTooLarge                = "AsicTooLarge"

	CodeInvalidLogArchive    = "InvalidLogArchive"               // not a readable archive
	CodeNoLinkingInfo        = "InvalidLogArchive.NoLinkingInfo" // no linkinginfo entry
	CodeNoContainers         = "InvalidLogArchive.NoContainers"  // no .asice entries
	CodeMalformedLinkingInfo = "InvalidLogArchive.MalformedLinkingInfo"
	CodePrevDigestMismatch   = "InvalidLogArchive.PrevDigestMismatch" // does not link to the previous archive
	CodeEntriesMismatch      = "InvalidLogArchive.EntriesMismatch"    // linkinginfo and zip list different containers
	CodeDigestMismatch       = "InvalidLogArchive.DigestMismatch"     // a container's linking digest is wrong
)

// Error is a container or archive failure with an X-Road error code.
type Error struct {
	Code   string
	Entry  string // the container (archive entry) concerned, if any
	Detail string
}

func (e *Error) Error() string {
	if e.Entry != "" {
		return fmt.Sprintf("asic: %s: %s: %s", e.Code, e.Entry, e.Detail)
	}
	return fmt.Sprintf("asic: %s: %s", e.Code, e.Detail)
}

// ErrorCode returns the X-Road error code.
func (e *Error) ErrorCode() string { return e.Code }

// Is matches another *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errf(code, entry, format string, args ...any) *Error {
	return &Error{Code: code, Entry: entry, Detail: fmt.Sprintf(format, args...)}
}

// Limits bound what readers accept. The zero value uses the defaults.
// Sizes are checked against what entries declare before anything is
// inflated (archive/zip then holds each entry to its declared size), so a
// zip bomb is refused without the memory it asks for.
type Limits struct {
	// MaxEntrySize bounds one uncompressed entry (a container in an
	// archive, or an entry of a container); default 64 MiB, well above
	// the security server's own message limits.
	MaxEntrySize int64
	MaxEntries   int // most entries in one zip; default 1,000,000
	// MaxTotalSize bounds the uncompressed bytes read from one container
	// (all its entries together); default 64 MiB.
	MaxTotalSize int64
	// MaxMetadataSize bounds each entry other than message.xml and the
	// attachments (signatures.xml, hash chains, manifests, time-stamp),
	// which are XML parsed into trees many times their size, or DER;
	// X-Road's are a few KiB. Default 16 MiB.
	MaxMetadataSize int64
	// MaxInflateRatio bounds uncompressed:compressed for entries larger
	// than 1 MiB; default 200 (logged XML deflates 5–20:1; runs of one
	// byte, a zip bomb's filling, reach 1032:1).
	MaxInflateRatio int64
}

// ratioFloor is the uncompressed size below which MaxInflateRatio does
// not apply: small entries may compress as well as they like.
const ratioFloor = 1 << 20

func (l Limits) inflateRatio() int64 { return positiveOr(l.MaxInflateRatio, 200) }

func (l Limits) entrySize() int64 { return positiveOr(l.MaxEntrySize, 64<<20) }

func (l Limits) entries() int { return positiveOr(l.MaxEntries, 1_000_000) }

func (l Limits) totalSize() int64 { return positiveOr(l.MaxTotalSize, 64<<20) }

func (l Limits) metadataSize() int64 {
	return min(positiveOr(l.MaxMetadataSize, 16<<20), l.entrySize())
}

// positiveOr is v when set (positive), else the default def.
func positiveOr[T int | int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
