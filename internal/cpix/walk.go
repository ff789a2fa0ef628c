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
	slots  map[string]int // prefix -> its slot in bound
	bound  [][]int        // slot -> ids of the URIs bound to the prefix, innermost last
	pushed []int          // the slots bindings were pushed on, innermost element last
	uris   []string       // id -> URI; 0 is "no namespace"
	ids    map[string]int // URI -> id
	seen   map[attrName]struct{}
	names  []attrName // the current element's attributes, reused
	parts  []attrPart // the same, as split, reused

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

// attrPart is an attribute name split, and whether it declares a namespace.
type attrPart struct {
	prefix, local string
	decl          bool
}

// newWalker returns a walker with room for about decls namespace
// declarations.
func newWalker(decls int) *walker {
	w := &walker{
		slots: make(map[string]int, min(decls, 64)+1),
		uris:  make([]string, 1, decls+2),
		ids:   make(map[string]int, decls+2),
		seen:  make(map[attrName]struct{}, MaxAttributes),
	}
	w.ids[""] = 0
	w.bound = append(w.bound, []int{w.intern(nsXML)})
	w.slots["xml"] = 0
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
	if slot, ok := w.slots[prefix]; ok {
		if st := w.bound[slot]; len(st) > 0 {
			return st[len(st)-1], true
		}
	}
	return 0, prefix == ""
}

// pop undoes the last n bindings pushed.
func (w *walker) pop(n int) {
	for _, slot := range w.pushed[len(w.pushed)-n:] {
		w.bound[slot] = w.bound[slot][:len(w.bound[slot])-1]
	}
	w.pushed = w.pushed[:len(w.pushed)-n]
}

// keyValueNames are the PSKC elements that carry or authenticate a key
// value (RFC 6030 §4.2 and §6.1).
var keyValueNames = map[string]bool{"Secret": true, "PlainValue": true, "EncryptedValue": true, "ValueMAC": true}

func (w *walker) check(e *node, parent *scope, pos position) error {
	if !validLocal(e.local) {
		return malformed("invalid name", nil)
	}
	if len(e.attrs) > MaxAttributes {
		return malformed("too many attributes", nil)
	}
	// Split each attribute name once: the declarations extend the scope,
	// and checkAttrs reads the rest.
	parts, decls := w.parts[:0], 0
	for i := range e.attrs {
		prefix, local := e.attrs[i].split()
		if !validLocal(local) {
			return malformed("invalid name", nil)
		}
		decl := prefix == "xmlns" || prefix == "" && local == "xmlns"
		if decl {
			decls++
		}
		parts = append(parts, attrPart{prefix, local, decl})
	}
	w.parts = parts
	s := parent
	if decls > 0 {
		s = &scope{parent: parent, bindings: make([]binding, 0, decls)}
		for i, p := range parts {
			if !p.decl {
				continue
			}
			b := binding{p.local, e.attrs[i].value}
			if p.prefix == "" {
				b.prefix = ""
			}
			switch {
			case b.prefix != "" && b.uri == "":
				return malformed("empty namespace for a prefix", nil)
			case b.prefix == "xml" || b.prefix == "xmlns":
				return malformed("reserved prefix declared", nil)
			case b.uri == nsXML || b.uri == nsXMLNS:
				return malformed("reserved namespace declared", nil)
			}
			s.bindings = append(s.bindings, b)
		}
		for _, b := range s.bindings {
			slot, ok := w.slots[b.prefix]
			if !ok {
				slot = len(w.bound)
				w.slots[b.prefix] = slot
				w.bound = append(w.bound, nil)
			}
			w.bound[slot] = append(w.bound[slot], w.intern(b.uri))
			w.pushed = append(w.pushed, slot)
		}
		defer w.pop(len(s.bindings))
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
	if err := w.checkAttrs(); err != nil {
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

// checkAttrs rejects duplicated attributes (w.parts, split by check),
// including two prefixes bound to one namespace naming the same attribute,
// and unbound prefixes.
func (w *walker) checkAttrs() error {
	names := w.names[:0]
	for _, p := range w.parts {
		n := attrName{local: p.local}
		switch p.prefix {
		case "":
		case "xmlns":
			n.ns = idXMLNS
		default:
			id, ok := w.resolve(p.prefix)
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
