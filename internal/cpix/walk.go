package cpix

import (
	"strings"

	"github.com/beevik/etree"
)

// scope is a namespace scope: the bindings an element declares, chained to
// its parent's. Elements that declare nothing share their parent's scope.
// The chain is walked only when an element is created (fill.go); parsing
// resolves prefixes through the walker's table instead.
type scope struct {
	parent   *scope
	bindings []binding
}

type binding struct{ prefix, uri string }

// lookup resolves a prefix ("" for the default namespace).
func (s *scope) lookup(prefix string) (string, bool) {
	switch prefix {
	case "xml":
		return nsXML, true
	case "xmlns":
		return "", false
	}
	for ; s != nil; s = s.parent {
		for i := len(s.bindings) - 1; i >= 0; i-- {
			if s.bindings[i].prefix == prefix {
				return s.bindings[i].uri, true
			}
		}
	}
	return "", prefix == ""
}

// visible returns, in one walk of the chain, each prefix in scope with the
// URI its innermost binding gives it.
func (s *scope) visible() map[string]string {
	m := map[string]string{}
	for c := s; c != nil; c = c.parent {
		for i := len(c.bindings) - 1; i >= 0; i-- {
			if _, shadowed := m[c.bindings[i].prefix]; !shadowed {
				m[c.bindings[i].prefix] = c.bindings[i].uri
			}
		}
	}
	return m
}

// extendScope returns parent extended with e's namespace declarations, or
// parent itself when e declares none.
func extendScope(e *etree.Element, parent *scope) *scope {
	s := parent
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			if s == parent {
				s = &scope{parent: parent}
			}
			p := a.Key
			if a.Space == "" {
				p = ""
			}
			s.bindings = append(s.bindings, binding{p, a.Value})
		}
	}
	return s
}

// elemInfo is what the walk learns about an element.
type elemInfo struct {
	scope *scope
	uri   string // the element's namespace URI
}

// position is where an element sits relative to the lists the model reads,
// so key values and keys outside their place can be found in the same walk.
type position int

const (
	posRoot    position = iota // the root element
	posTop                     // a child of the root
	posKeyList                 // a child of a CPIX ContentKeyList
	posInKey                   // inside a ContentKey of the model
	posOther                   // anywhere else
)

// walker checks the whole tree once: element count, names, duplicate
// attributes, unbound prefixes, reserved namespaces. Prefixes resolve
// through a table of binding stacks and URIs are interned to small ids, so
// each element and attribute costs time proportional to its own size,
// whatever the depth and number of declarations around it.
type walker struct {
	n     int
	info  map[*etree.Element]elemInfo
	bound map[string][]int // prefix -> ids of the URIs bound to it, innermost last
	uris  []string         // id -> URI; 0 is "no namespace"
	ids   map[string]int   // URI -> id
	seen  map[attrName]struct{}
	names []attrName // the current element's attributes, reused

	// keyValues: per model ContentKey, the PSKC value elements under it;
	// stray: key elements outside their place.
	keyValues map[*etree.Element]*keyValues
	stray     []Name
	key       *etree.Element // the model ContentKey being walked
}

// keyValues are the local names of the PSKC key elements under one
// ContentKey: all of them, and the value elements that have content.
type keyValues struct{ all, filled []string }

// attrName identifies an attribute for the duplicate check: namespace id
// (or idXMLNS for a declaration) and local name.
type attrName struct {
	ns    int
	local string
}

const idXMLNS = -1

// newWalker returns a walker with room for about elements elements and
// decls namespace declarations.
func newWalker(elements, decls int) *walker {
	w := &walker{
		info:  make(map[*etree.Element]elemInfo, elements),
		bound: make(map[string][]int, min(decls, 64)+1),
		uris:  make([]string, 1, decls+2),
		ids:   make(map[string]int, decls+2),
		seen:  make(map[attrName]struct{}, MaxAttributes),
	}
	w.ids[""] = 0
	w.bound["xml"] = []int{w.intern(nsXML)}
	return w
}

func (w *walker) intern(uri string) int {
	if id, ok := w.ids[uri]; ok {
		return id
	}
	w.uris = append(w.uris, uri)
	w.ids[uri] = len(w.uris) - 1
	return len(w.uris) - 1
}

// resolve returns the id of the URI bound to prefix ("" for the default
// namespace; no default binding means no namespace).
func (w *walker) resolve(prefix string) (int, bool) {
	if prefix == "xmlns" {
		return 0, false
	}
	if st := w.bound[prefix]; len(st) > 0 {
		return st[len(st)-1], true
	}
	return 0, prefix == ""
}

// keyValueNames are the PSKC elements that carry or authenticate a key
// value (RFC 6030 §4.2 and §6.1).
var keyValueNames = map[string]bool{"Secret": true, "PlainValue": true, "EncryptedValue": true, "ValueMAC": true}

func (w *walker) check(e *etree.Element, parent *scope, pos position) error {
	w.n++
	if w.n > MaxElements {
		return malformed("too many elements", nil)
	}
	if !validLocal(e.Tag) {
		return malformed("invalid name", nil)
	}
	s := extendScope(e, parent)
	if s != parent {
		for _, b := range s.bindings {
			switch {
			case b.prefix != "" && b.uri == "":
				return malformed("empty namespace for a prefix", nil)
			case b.prefix == "xml" || b.prefix == "xmlns":
				return malformed("reserved prefix declared", nil)
			case b.uri == nsXML || b.uri == nsXMLNS:
				return malformed("reserved namespace declared", nil)
			}
		}
		for _, b := range s.bindings {
			w.bound[b.prefix] = append(w.bound[b.prefix], w.intern(b.uri))
		}
		defer func() {
			for _, b := range s.bindings {
				st := w.bound[b.prefix]
				w.bound[b.prefix] = st[:len(st)-1]
			}
		}()
	}
	if parent == nil && s == nil {
		s = &scope{} // the root always has its own scope, so it can gain bindings
	}
	id, ok := w.resolve(e.Space)
	if !ok {
		return malformed("unbound namespace prefix", nil)
	}
	uri := w.uris[id]
	w.info[e] = elemInfo{scope: s, uri: uri}
	if err := w.checkAttrs(e); err != nil {
		return err
	}
	childPos := posOther
	switch {
	case pos == posRoot:
		childPos = posTop
	case pos == posTop && uri == NSCPIX && e.Tag == "ContentKeyList":
		childPos = posKeyList
	case pos == posKeyList && uri == NSCPIX && e.Tag == "ContentKey":
		childPos = posInKey
		w.key = e
	case uri == NSCPIX && e.Tag == "ContentKey":
		w.stray = append(w.stray, Name{uri, e.Tag})
	case uri == NSPSKC && keyValueNames[e.Tag]:
		if pos == posInKey {
			if w.keyValues == nil {
				w.keyValues = map[*etree.Element]*keyValues{}
			}
			kv := w.keyValues[w.key]
			if kv == nil {
				kv = &keyValues{}
				w.keyValues[w.key] = kv
			}
			kv.all = append(kv.all, e.Tag)
			if e.Tag != "Secret" && hasContent(e) {
				kv.filled = append(kv.filled, e.Tag)
			}
		} else {
			w.stray = append(w.stray, Name{uri, e.Tag})
		}
		if pos == posInKey {
			childPos = posInKey
		}
	case pos == posInKey:
		childPos = posInKey
	}
	for _, c := range e.Child {
		switch t := c.(type) {
		case *etree.Element:
			if err := w.check(t, s, childPos); err != nil {
				return err
			}
		case *etree.Directive:
			return malformed("DOCTYPE and other directives are not allowed", nil)
		case *etree.ProcInst:
			if err := checkProcInst(t); err != nil {
				return err
			}
		}
	}
	return nil
}

const nsXMLNS = "http://www.w3.org/2000/xmlns/"

// validLocal reports whether the local part of a name as encoding/xml split
// it makes the name a QName: encoding/xml leaves a name with an empty prefix
// or local part (":a", "a:") whole in the local part, colon included.
func validLocal(local string) bool {
	return local != "" && !strings.Contains(local, ":")
}

// checkAttrs rejects duplicated attributes, including two prefixes bound to
// one namespace naming the same attribute, and invalid or unbound names.
func (w *walker) checkAttrs(e *etree.Element) error {
	if len(e.Attr) > MaxAttributes {
		return malformed("too many attributes", nil)
	}
	names := w.names[:0]
	for i := range e.Attr {
		a := &e.Attr[i]
		if !validLocal(a.Key) {
			return malformed("invalid name", nil)
		}
		n := attrName{local: a.Key}
		switch a.Space {
		case "":
		case "xmlns":
			n.ns = idXMLNS
		default:
			id, ok := w.resolve(a.Space)
			if !ok {
				return malformed("unbound namespace prefix", nil)
			}
			n.ns = id
		}
		names = append(names, n)
	}
	w.names = names
	if len(names) <= smallAttrs {
		// Comparing pairs is cheaper than hashing for the few attributes
		// real elements have; smallAttrs bounds its cost.
		for i := range names {
			for j := range i {
				if names[i] == names[j] {
					return malformed("duplicate attribute", nil)
				}
			}
		}
		return nil
	}
	clear(w.seen)
	for _, n := range names {
		if _, dup := w.seen[n]; dup {
			return malformed("duplicate attribute", nil)
		}
		w.seen[n] = struct{}{}
	}
	return nil
}

// smallAttrs: up to this many attributes, duplicates are found by
// comparing pairs (at most 28 comparisons); beyond, through a map.
const smallAttrs = 8
