// Package cpix reads and writes DASH-IF CPIX documents (Content Protection
// Information Exchange) as SPEKE uses them.
//
// Parse turns a request body into a Document: a model of the lists SPEKE
// acts on (ContentKeyList, DRMSystemList, ContentKeyPeriodList,
// ContentKeyUsageRuleList, DeliveryDataList) that keeps the whole parsed tree,
// so the response echoes everything the request carried. Callers fill values
// in place (keys, IVs, DRM signaling) and WriteTo streams the document out.
//
// The package knows CPIX, not SPEKE: which attributes are mandatory and which
// messages a violation gets is package speke's business.
//
// # Guarantees
//
//   - Elements are matched by namespace URI, never by prefix; a document may
//     bind the CPIX or PSKC namespace to any prefix, or make it the default.
//   - The body is bounded by MaxBodyBytes, the tree by MaxDepth,
//     MaxElements, MaxAttributes and MaxTotalAttributes, and the memory a
//     parse allocates is sized from counts taken before it starts, so a
//     hostile body costs bounded memory. Every step is linear in the body
//     size (prefixes resolve in constant time whatever the depth and number
//     of namespace declarations), so it costs bounded time too. Documents
//     with a DOCTYPE, more than one root element, text outside the root, a
//     non-UTF-8 encoding declaration, a duplicated attribute or an unbound
//     namespace prefix are rejected with an error wrapping ErrMalformed.
//   - The body is read as encoding/xml reads it in strict mode (names,
//     references, line ends), by the package's own reader: a name, value or
//     text in the tree is a substring of the body unless a reference or a
//     carriage return had to be decoded.
//   - An accepted document is well-formed for strict parsers (libxml2,
//     expat), not only for encoding/xml: characters XML forbids (in
//     comments and processing instructions too), references to them,
//     malformed or misplaced XML declarations, processing instructions named
//     xml in any case, names with an empty prefix or local part, reserved
//     namespace URIs and attributes not separated by white space are
//     refused as well.
//   - The model reports key values (PSKC Secret, PlainValue, EncryptedValue,
//     ValueMAC) wherever they are: under each ContentKey
//     (ContentKey.KeyElements, and ValueElements for those with content) or
//     elsewhere (Document.StrayKeyElements,
//     with ContentKey elements outside a ContentKeyList).
//   - WriteTo escapes every text and attribute value it writes, declares
//     every namespace it uses, and never writes a DOCTYPE.
package cpix

// Namespace URIs.
const (
	NSCPIX   = "urn:dashif:org:cpix"
	NSPSKC   = "urn:ietf:params:xml:ns:keyprov:pskc"
	NSXMLEnc = "http://www.w3.org/2001/04/xmlenc#"
	NSDSig   = "http://www.w3.org/2000/09/xmldsig#"
	NSSPEKE  = "urn:aws:amazon:com:speke"
	nsXML    = "http://www.w3.org/XML/1998/namespace"
)

// Limits. Real SPEKE requests are 1.4–30 KB with at most a dozen keys; the
// limits leave ample room for growth while bounding a hostile request.
const (
	// MaxBodyBytes bounds the request body: ~10x the largest real request.
	MaxBodyBytes = 256 << 10
	// MaxDepth bounds nesting: CPIX nests at most 7 levels deep
	// (CPIX/DeliveryDataList/DeliveryData/DeliveryKey/X509Data/X509Certificate).
	MaxDepth = 32
	// MaxElements bounds the element count: a 64-key, 5-DRM request with
	// periods and rules has about 1,500 elements.
	MaxElements = 4096
	// MaxAttributes bounds attributes per element: CPIX elements carry
	// fewer than ten plus namespace declarations.
	MaxAttributes = 64
	// MaxTotalAttributes bounds attributes (namespace declarations
	// included) in a document, counted before the tree is built: each costs
	// the XML reader several allocations, so a body of nothing but short
	// attributes would cost more than twice an ordinary body of its size.
	// A 64-key, 5-DRM request has about 1,700.
	MaxTotalAttributes = 16384
)
