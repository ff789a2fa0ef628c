package speke

import (
	"strconv"
	"strings"
	"time"

	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// checkPeriods validates ContentKeyPeriodList and returns the period ids.
// SPEKE 2.0 tracks periods by @index only. SPEKE 2.1 adds @start/@end (live)
// and @startOffset/@endOffset (VOD); MediaPackage's START_END_ONLY timing
// sends times without @index, so 2.1 accepts a period with either.
func checkPeriods(doc *cpix.Document, v version) (map[string]bool, error) {
	if doc.ListCounts["ContentKeyPeriodList"] == 1 && len(doc.Periods) == 0 {
		return nil, reject("Missing ContentKeyPeriod")
	}
	ids := make(map[string]bool, len(doc.Periods))
	for _, per := range doc.Periods {
		id, ok := per.Attr("id")
		if !ok || id == "" {
			return nil, reject("Missing ContentKeyPeriod@id")
		}
		if ids[id] {
			return nil, reject("Duplicate ContentKeyPeriod@id")
		}
		ids[id] = true
		idx, hasIndex := per.Attr("index")
		if hasIndex {
			if _, err := strconv.ParseUint(idx, 10, 32); err != nil {
				return nil, reject("Invalid ContentKeyPeriod@index")
			}
		}
		start, hasStart := per.Attr("start")
		end, hasEnd := per.Attr("end")
		if !v.v21 {
			if !hasIndex {
				return nil, reject("Missing ContentKeyPeriod@index")
			}
			continue
		}
		if !hasIndex && !(hasStart && hasEnd) {
			return nil, reject("Missing ContentKeyPeriod@index")
		}
		var ts, te time.Time
		var err error
		if hasStart {
			if ts, err = parseDateTime(start); err != nil {
				return nil, reject("Invalid ContentKeyPeriod@start")
			}
		}
		if hasEnd {
			if te, err = parseDateTime(end); err != nil {
				return nil, reject("Invalid ContentKeyPeriod@end")
			}
		}
		if hasStart && hasEnd && !ts.Before(te) {
			return nil, reject("ContentKeyPeriod@start must be before @end")
		}
	}
	return ids, nil
}

// parseDateTime reads an xs:dateTime; a value without a zone offset is
// read as UTC, which only matters for the start-before-end check.
func parseDateTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999999", s)
}

// checkContract validates the encryption contract (ContentKeyUsageRuleList).
//
// The rules: every rule names an existing KID and an intendedTrackType; it
// has at least one AudioFilter or VideoFilter (else "Missing CPIX encryption
// contract"); intendedTrackType is unique among rules for the same key
// periods; ALL stands alone with exactly one empty AudioFilter and one empty
// VideoFilter; filter attributes are well-formed and min <= max; a
// KeyPeriodFilter names an existing period; every ContentKey is used by a
// rule. Filters SPEKE ignores (BitrateFilter, LabelFilter) are echoed.
//
// Uniqueness is per set of key periods, not document-wide: a live request
// that carries the keys of two periods has a VIDEO rule for each.
func checkContract(doc *cpix.Document, kidIndex map[uuid.UUID]int, periods map[string]bool) error {
	if len(doc.UsageRules) == 0 {
		return reject(MsgMissingContract)
	}
	used := make([]bool, len(kidIndex))
	type group struct {
		types map[string]bool
		all   bool
	}
	groups := map[string]*group{}
	for _, r := range doc.UsageRules {
		kidText, ok := r.Attr("kid")
		if !ok {
			return rejectDetail(MsgMalformedContract, "ContentKeyUsageRule without kid")
		}
		kid, err := uuid.Parse(kidText)
		if err != nil {
			return rejectDetail(MsgMalformedContract, "ContentKeyUsageRule@kid is not a UUID")
		}
		ki, ok := kidIndex[kid]
		if !ok {
			return rejectDetail(MsgMalformedContract, "ContentKeyUsageRule@kid "+kid.String()+" has no ContentKey")
		}
		used[ki] = true
		tt, ok := r.Attr("intendedTrackType")
		if !ok || strings.TrimSpace(tt) == "" {
			return rejectDetail(MsgMalformedContract, "ContentKeyUsageRule without intendedTrackType")
		}
		var audio, video, audioAttrs, videoAttrs int
		// The rule's KeyPeriodFilter@periodId ("" for none): a rule may
		// have one, and the rules of one set of periods form a group.
		periodID, periodFilters := "", 0
		for _, f := range r.Filters {
			switch f.Name().Local {
			case "AudioFilter":
				audio++
				n, err := checkRange(f, "minChannels", "maxChannels")
				if err != nil {
					return err
				}
				audioAttrs += n
			case "VideoFilter":
				video++
				n, err := checkRange(f, "minPixels", "maxPixels")
				if err != nil {
					return err
				}
				m, err := checkRange(f, "minFps", "maxFps")
				if err != nil {
					return err
				}
				if h, ok := f.Attr("hdr"); ok {
					if h != "true" && h != "false" && h != "1" && h != "0" {
						return rejectDetail(MsgMalformedContract, "VideoFilter@hdr is not a boolean")
					}
					n++
				}
				videoAttrs += n + m
			case "KeyPeriodFilter":
				id, ok := f.Attr("periodId")
				if !ok || !periods[id] {
					return rejectDetail(MsgMalformedContract, "KeyPeriodFilter@periodId names no ContentKeyPeriod")
				}
				periodID = id
				periodFilters++
			}
		}
		if audio+video == 0 {
			return reject(MsgMissingContract)
		}
		if periodFilters > 1 {
			return rejectDetail(MsgMalformedContract, "more than one KeyPeriodFilter in a rule")
		}
		g := groups[periodID]
		if g == nil {
			g = &group{types: map[string]bool{}}
			groups[periodID] = g
		}
		if g.types[tt] {
			return rejectDetail(MsgMalformedContract, "intendedTrackType "+quote(tt)+" used twice")
		}
		isAll := tt == "ALL"
		if isAll && (audio != 1 || video != 1 || audioAttrs+videoAttrs != 0 || len(r.Filters) != 2+periodFilters) {
			return rejectDetail(MsgMalformedContract, "ALL needs exactly one empty AudioFilter and one empty VideoFilter")
		}
		if (isAll && len(g.types) > 0) || (!isAll && g.all) {
			return rejectDetail(MsgMalformedContract, "ALL must be the only rule")
		}
		g.types[tt] = true
		g.all = g.all || isAll
	}
	for _, u := range used {
		if !u {
			return rejectDetail(MsgMalformedContract, "a ContentKey has no ContentKeyUsageRule")
		}
	}
	return nil
}

// checkRange validates an optional min/max pair of unsigned integers (or
// decimals for frame rates) and returns how many of the two are present.
func checkRange(f *cpix.Element, minName, maxName string) (int, error) {
	n := 0
	var lo, hi float64
	hasLo, hasHi := false, false
	for _, a := range []struct {
		name string
		v    *float64
		has  *bool
	}{{minName, &lo, &hasLo}, {maxName, &hi, &hasHi}} {
		s, ok := f.Attr(a.name)
		if !ok {
			continue
		}
		x, ok := parseNonNegative(s, strings.HasSuffix(a.name, "Fps"))
		if !ok {
			return 0, rejectDetail(MsgMalformedContract, a.name+" is not a non-negative number")
		}
		*a.v, *a.has = x, true
		n++
	}
	if hasLo && hasHi && lo > hi {
		return 0, rejectDetail(MsgMalformedContract, minName+" exceeds "+maxName)
	}
	return n, nil
}

// parseNonNegative reads an xs:unsignedInt, or for frame rates a plain
// decimal: digits with at most one dot, nothing else (no sign, exponent,
// NaN or hexadecimal that strconv would accept).
func parseNonNegative(s string, decimal bool) (float64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	dots := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && decimal:
			dots++
		default:
			return 0, false
		}
	}
	if dots > 1 || s == "." {
		return 0, false
	}
	if !decimal {
		u, err := strconv.ParseUint(s, 10, 32)
		return float64(u), err == nil
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil
}

// checkKeyPeriodRules validates SPEKE v1 usage rules. SPEKE v1 reads only
// KeyPeriodFilter from them (key rotation) and ignores every other setting,
// so only the references are checked: each rule names a ContentKey and at
// most one existing period. The rules are echoed unchanged.
func checkKeyPeriodRules(doc *cpix.Document, kidIndex map[uuid.UUID]int, periods map[string]bool) error {
	for _, r := range doc.UsageRules {
		kid, _, err := uuidAttr(r, "ContentKeyUsageRule", "kid")
		if err != nil {
			return err
		}
		if _, ok := kidIndex[kid]; !ok {
			return reject("ContentKeyUsageRule@kid " + kid.String() + " has no ContentKey")
		}
		n := 0
		for _, f := range r.Filters {
			if f.Name().Local != "KeyPeriodFilter" {
				continue
			}
			if n++; n > 1 {
				return reject("More than one KeyPeriodFilter in a ContentKeyUsageRule")
			}
			if id, ok := f.Attr("periodId"); !ok || !periods[id] {
				return reject("KeyPeriodFilter@periodId names no ContentKeyPeriod")
			}
		}
	}
	return nil
}
