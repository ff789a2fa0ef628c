package cpix

import "strings"

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
func extendScope(e *node, parent *scope) *scope {
	s := parent
	for _, a := range e.attrs {
		if a.prefix == "xmlns" || (a.prefix == "" && a.local == "xmlns") {
			if s == parent {
				s = &scope{parent: parent}
			}
			p := a.local
			if a.prefix == "" {
				p = ""
			}
			s.bindings = append(s.bindings, binding{p, a.value})
		}
	}
	return s
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

// walker checks the whole tree once: names, duplicate attributes, unbound
// prefixes, reserved namespaces; and records each element's namespace URI
// and scope in it. Prefixes resolve
// through a table of binding stacks and URIs are interned to small ids, so
// each element and attribute costs time proportional to its own size,
// whatever the depth and number of declarations around it.
type walker struct {
	bound map[string][]int // prefix -> ids of the URIs bound to it, innermost last
	uris  []string         // id -> URI; 0 is "no namespace"
	ids   map[string]int   // URI -> id
	seen  map[attrName]struct{}
	names []attrName // the current element's attributes, reused

	// keyValues: per model ContentKey, the PSKC value elements under it;
	// stray: key elements outside their place.
	keyValues map[*node]*keyValues
	stray     []Name
	key       *node // the model ContentKey being walked
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

// newWalker returns a walker with room for about decls namespace
// declarations.
func newWalker(decls int) *walker {
	w := &walker{
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

func (w *walker) check(e *node, parent *scope, pos position) error {
	if !validLocal(e.local) {
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
	id, ok := w.resolve(e.prefix)
	if !ok {
		return malformed("unbound namespace prefix", nil)
	}
	uri := w.uris[id]
	e.uri, e.scope = uri, s
	if err := w.checkAttrs(e); err != nil {
		return err
	}
	childPos := posOther
	switch {
	case pos == posRoot:
		childPos = posTop
	case pos == posTop && uri == NSCPIX && e.local == "ContentKeyList":
		childPos = posKeyList
	case pos == posKeyList && uri == NSCPIX && e.local == "ContentKey":
		childPos = posInKey
		w.key = e
	case uri == NSCPIX && e.local == "ContentKey":
		w.stray = append(w.stray, Name{uri, e.local})
	case uri == NSPSKC && keyValueNames[e.local]:
		if pos == posInKey {
			if w.keyValues == nil {
				w.keyValues = map[*node]*keyValues{}
			}
			kv := w.keyValues[w.key]
			if kv == nil {
				kv = &keyValues{}
				w.keyValues[w.key] = kv
			}
			kv.all = append(kv.all, e.local)
			if e.local != "Secret" && hasContent(e) {
				kv.filled = append(kv.filled, e.local)
			}
		} else {
			w.stray = append(w.stray, Name{uri, e.local})
		}
		if pos == posInKey {
			childPos = posInKey
		}
	case pos == posInKey:
		childPos = posInKey
	}
	for i := range e.children {
		if c := &e.children[i]; c.kind == kindElement {
			if err := w.check(c.el, s, childPos); err != nil {
				return err
			}
		}
	}
	return nil
}

const nsXMLNS = "http://www.w3.org/2000/xmlns/"

// validLocal reports whether the local part of a name as the reader split
// it makes the name a QName: the reader, like encoding/xml, leaves a name with an empty prefix
// or local part (":a", "a:") whole in the local part, colon included.
func validLocal(local string) bool {
	return local != "" && !strings.Contains(local, ":")
}

// checkAttrs rejects duplicated attributes, including two prefixes bound to
// one namespace naming the same attribute, and invalid or unbound names.
func (w *walker) checkAttrs(e *node) error {
	if len(e.attrs) > MaxAttributes {
		return malformed("too many attributes", nil)
	}
	names := w.names[:0]
	for i := range e.attrs {
		a := &e.attrs[i]
		if !validLocal(a.local) {
			return malformed("invalid name", nil)
		}
		n := attrName{local: a.local}
		switch a.prefix {
		case "":
		case "xmlns":
			n.ns = idXMLNS
		default:
			id, ok := w.resolve(a.prefix)
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
