package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The bodies are most of the JSON the Lambda path reads and writes (an
// 8-key, 3-DRM request: a 9 KB body in a 13 KB event, a 57 KB answer), so
// they take the shortest way the library allows:
//
//   - the event's body is unquoted by the library, once, straight into a
//     reused buffer the handler reads (decodeEvent), not into a string
//     that is copied again;
//   - the answer's body is quoted from the handler's bytes into the
//     response event by appendQuote, which copies runs of bytes that need
//     no escaping itself and hands every other run to the library: the
//     library's own loop, a byte at a time, was a sixth of the whole path.
//
// FuzzEventJSON, FuzzQuote and FuzzResponseJSON hold all of it to what the
// library does with the whole values, byte for byte, refusals included.

// wireEvent is the event as Invoke decodes it: every field as the library
// decodes an events.APIGatewayProxyRequest, but the body, which the
// library unquotes straight into the buffer the handler reads.
type wireEvent struct {
	events.APIGatewayProxyRequest
	Body eventBody `json:"body"`
}

// eventBody receives the body's JSON value from the library's decoder
// (which has validated it) and has the library unquote it into *buf.
type eventBody struct{ buf *[]byte }

// errBodyNotString refuses a body that is neither a string nor null, as
// the library refuses one for a string field.
var errBodyNotString = errors.New("apigw: event body is not a JSON string")

func (b *eventBody) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch v.Kind() {
	case 'n': // the empty string, as for a string field
		*b.buf = (*b.buf)[:0]
		return nil
	case '"':
		*b.buf, err = jsontext.AppendUnquote((*b.buf)[:0], v)
		return err
	default:
		return errBodyNotString
	}
}

// decodeEvent is json.Unmarshal(payload, &ev, jsonOptions) with ev.Body
// left empty and the body unquoted into *body instead: the same events
// and the same refusals (FuzzEventJSON).
func decodeEvent(payload []byte, body *[]byte) (events.APIGatewayProxyRequest, error) {
	*body = (*body)[:0]
	w := wireEvent{Body: eventBody{body}}
	if err := json.Unmarshal(payload, &w, jsonOptions); err != nil {
		return events.APIGatewayProxyRequest{}, err
	}
	return w.APIGatewayProxyRequest, nil
}

// responseHead is events.APIGatewayProxyResponse up to its body, for the
// library to encode as it encodes the whole struct.
type responseHead struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
}

// responseOverhead is room for the status and headers of a response event,
// beside the body and its escapes.
const responseOverhead = 1024

// encode is json.Marshal(r.response(), jsonOptions), byte for byte
// (TestResponseJSON, FuzzResponseJSON), written into one buffer of about
// the final size: the status and headers by the library, the body quoted
// from the handler's bytes by appendQuote.
func (r *recorder) encode() ([]byte, error) {
	body := *r.body
	out := bytes.NewBuffer(make([]byte, 0, len(body)+len(body)/8+responseOverhead))
	var head responseHead
	head.StatusCode = r.statusCode()
	head.Headers, head.MultiValueHeaders = r.headers()
	if err := json.MarshalWrite(out, head, jsonOptions); err != nil {
		return nil, err // a header that is not UTF-8, as before; the handler sets none
	}
	b := out.Bytes()
	b = append(b[:len(b)-1], `,"body":`...) // reopen the head's object
	base64Body := false
	mark := len(b)
	b, err := appendQuote(b, body)
	if err != nil { // not UTF-8: the body goes base64-encoded, as in response
		b = appendQuoteBase64(b[:mark], body)
		base64Body = true
	}
	b = append(b, `,"isBase64Encoded":`...)
	b = strconv.AppendBool(b, base64Body)
	return append(b, '}'), nil
}

// appendQuoteBase64 appends the JSON string of the base64 of src (which
// needs no escaping).
func appendQuoteBase64(dst, src []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, src)
	return append(dst, '"')
}

// appendQuote is jsontext.AppendQuote(dst, s), byte for byte and error for
// error (FuzzQuote). Runs of bytes that JSON writes as they are (ASCII from
// space on, but for '"' and '\\') are copied: '"' and '\\' are found with
// bytes.IndexByte, control and non-ASCII bytes 16 at a time. Every run of
// other bytes goes to the library. Runs are split only before or after an
// ASCII byte, so the library sees every multi-byte sequence whole, as it
// would in the whole string.
func appendQuote(dst, s []byte) ([]byte, error) {
	dst = slices.Grow(dst, len(s)+len(`""`))
	dst = append(dst, '"')
	var err error
	quote, backslash := -1, -1 // the next '"' and '\\' at or after i, or len(s)
	for i := 0; i < len(s); {
		if quote < i {
			quote = indexFrom(s, i, '"')
		}
		if backslash < i {
			backslash = indexFrom(s, i, '\\')
		}
		end := min(quote, backslash)
		n := i + printableLen(s[i:end])
		dst = append(dst, s[i:n]...)
		if n == len(s) {
			break
		}
		i = n + 1
		for i < len(s) && needsEscape[s[i]] {
			i++
		}
		// The library writes the run between its own quotes: the opening
		// one goes over the last byte written, which is put back, and the
		// closing one is cut.
		last := len(dst) - 1
		c := dst[last]
		var runErr error
		dst, runErr = jsontext.AppendQuote(dst[:last], s[n:i])
		dst[last] = c
		dst = dst[:len(dst)-1]
		if runErr != nil {
			err = runErr
		}
	}
	return append(dst, '"'), err
}

// indexFrom is the index of the first c in s at or after i, or len(s).
func indexFrom(s []byte, i int, c byte) int {
	if j := bytes.IndexByte(s[i:], c); j >= 0 {
		return i + j
	}
	return len(s)
}

// printableLen is the length of the longest prefix of s without control
// characters or bytes of 0x80 and above. It tests 32 bytes at a time and
// finds the byte in the block that has one.
func printableLen(s []byte) int {
	n := 0
	for ; n+32 <= len(s); n += 32 {
		b := s[n : n+32]
		if controlOrHigh(binary.LittleEndian.Uint64(b))|controlOrHigh(binary.LittleEndian.Uint64(b[8:]))|
			controlOrHigh(binary.LittleEndian.Uint64(b[16:]))|controlOrHigh(binary.LittleEndian.Uint64(b[24:])) != 0 {
			break
		}
	}
	for ; n+8 <= len(s); n += 8 {
		if m := controlOrHigh(binary.LittleEndian.Uint64(s[n:])); m != 0 {
			return n + bits.TrailingZeros64(m)/8
		}
	}
	for n < len(s) && ' ' <= s[n] && s[n] < 0x80 {
		n++
	}
	return n
}

// needsEscape marks the bytes that JSON does not write as they are: control
// characters, '"', '\\', and every byte of a multi-byte (or invalid) UTF-8
// sequence.
var needsEscape = func() (t [256]bool) {
	for c := range t {
		t[c] = c < ' ' || c == '"' || c == '\\' || c >= 0x80
	}
	return t
}()

// controlOrHigh has the top bit of the first byte of x (in memory order)
// that is below 0x20 or 0x80 and above set, and no bit below it; it is 0 if
// x has no such byte. The subtraction sets a byte's top bit when the byte is
// below 0x20 and borrows into the next byte only from such a byte, so the
// bits it may set wrongly are above the first true one.
func controlOrHigh(x uint64) uint64 {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	return ((x - ones*' ') | x) & tops
}
