package playback

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// TokenKeySize is the length of the HS256 token key. RFC 7518 §3.2 asks
// for a key at least as long as the hash output.
const TokenKeySize = 32

// Leeway is the clock skew allowed on exp and nbf: the entitlement
// service's clock and ours may disagree by a few seconds.
const Leeway = 30 * time.Second

// maxTokenBytes bounds the token we parse; a token names one content ID
// and a few KIDs, so a longer one is not ours.
const maxTokenBytes = 4096

// maxTokenKIDs bounds the kids claim (a title rarely has more than a few
// dozen keys).
const maxTokenKIDs = 256

// Claims are the claims of a playback token. Minting tokens is the
// customer's entitlement service's job; the type is exported for it and
// for tests.
type Claims struct {
	// ContentID (content_id, required) is the only content ID the token
	// opens.
	ContentID string `json:"content_id"`
	// KIDs (kids, optional) limits the token to these KIDs (36-character
	// UUIDs). Absent: every KID of the content ID. Present but empty: none.
	KIDs *[]string `json:"kids,omitempty"`
	jwt.RegisteredClaims
}

// grant is what a verified token allows.
type grant struct {
	contentID string
	kids      map[uuid.UUID]bool // nil: every KID of contentID
}

// covers reports whether the grant opens kids of contentID.
func (g *grant) covers(contentID string, kids []uuid.UUID) error {
	if contentID != g.contentID {
		return fmt.Errorf("%w: the token is for another content ID", ErrForbidden)
	}
	if g.kids == nil {
		return nil
	}
	for _, k := range kids {
		if !g.kids[k] {
			return fmt.Errorf("%w: the token does not cover KID %s", ErrForbidden, k)
		}
	}
	return nil
}

// verifier checks tokens: HS256 only, exp required, nbf honoured, both
// with Leeway.
type verifier struct {
	key    []byte
	parser *jwt.Parser
}

func newVerifier(key []byte, now func() time.Time) (*verifier, error) {
	if len(key) != TokenKeySize {
		return nil, fmt.Errorf("playback: token key is %d bytes, want %d", len(key), TokenKeySize)
	}
	return &verifier{
		key: append([]byte(nil), key...),
		parser: jwt.NewParser(
			// Pinning the algorithm refuses "none", RS256 with our key as
			// a "public key", and any other alg an attacker picks.
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(Leeway),
			jwt.WithTimeFunc(now),
		),
	}, nil
}

// tokenFrom takes the token from "Authorization: Bearer <jwt>" or, for
// players that cannot set headers, from the query parameter token.
func tokenFrom(r *http.Request) (string, error) {
	if v, ok := r.Header["Authorization"]; ok && len(v) > 0 {
		scheme, tok, found := strings.Cut(strings.TrimSpace(v[0]), " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return "", fmt.Errorf("%w: Authorization must be \"Bearer <token>\"", ErrUnauthorized)
		}
		return strings.TrimSpace(tok), nil
	}
	if tok := r.URL.Query().Get("token"); tok != "" {
		return tok, nil
	}
	return "", fmt.Errorf("%w: missing token (Authorization: Bearer or ?token=)", ErrUnauthorized)
}

// verify checks raw and returns what it grants.
func (v *verifier) verify(raw string) (*grant, error) {
	if len(raw) > maxTokenBytes {
		return nil, fmt.Errorf("%w: token longer than %d bytes", ErrUnauthorized, maxTokenBytes)
	}
	var c Claims
	_, err := v.parser.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return v.key, nil })
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrUnauthorized, tokenProblem(err))
	}
	if c.ContentID == "" {
		return nil, fmt.Errorf("%w: token has no content_id", ErrUnauthorized)
	}
	if !speke.ValidContentID(c.ContentID) {
		return nil, fmt.Errorf("%w: token content_id is not a valid content ID", ErrUnauthorized)
	}
	g := &grant{contentID: c.ContentID}
	if c.KIDs != nil {
		if len(*c.KIDs) > maxTokenKIDs {
			return nil, fmt.Errorf("%w: token kids has more than %d entries", ErrUnauthorized, maxTokenKIDs)
		}
		g.kids = make(map[uuid.UUID]bool, len(*c.KIDs))
		for _, s := range *c.KIDs {
			k, err := uuid.Parse(s)
			if err != nil {
				return nil, fmt.Errorf("%w: token kids must be 36-character UUIDs", ErrUnauthorized)
			}
			g.kids[k] = true
		}
	}
	return g, nil
}

// tokenProblem names why a token was refused, in words that quote nothing
// from the token.
func tokenProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad token signature or algorithm (HS256 only)"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "token has no exp"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet (nbf)"
	}
	return "invalid token"
}
