package main

import (
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// routesFile is the service's one definition of its URL paths. The CDK
// may not import internal/, so this test reads it as Go source and
// evaluates it with go/types instead.
var routesFile = envOr("ROUTES_FILE", filepath.Join("..", "internal", "routes", "routes.go"))

// serviceRoutes returns, for each route list the service declares (SPEKE,
// Players, ReadOnly, ...), its routes as "METHOD path" without the leading
// slash. A list may be built with append from Route literals and other
// lists.
func serviceRoutes(t *testing.T, file string) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	// Imports of other internal packages do not resolve here; the path
	// constants do not depend on them, so type errors are ignored.
	conf := types.Config{Importer: importer.Default(), Error: func(error) {}}
	conf.Check("routes", fset, []*ast.File{f}, info) //nolint:errcheck

	str := func(e ast.Expr) string {
		tv, ok := info.Types[e]
		if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
			t.Fatalf("%s: not a string constant", fset.Position(e.Pos()))
		}
		return constant.StringVal(tv.Value)
	}
	vars := map[string]ast.Expr{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					vars[n.Name] = vs.Values[i]
				}
			}
		}
	}
	var eval func(e ast.Expr) []string
	eval = func(e ast.Expr) []string {
		var out []string
		ast.Inspect(e, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				// Route{...}, or {...} inside a []Route literal.
				if id, ok := x.Type.(*ast.Ident); (x.Type == nil || ok && id.Name == "Route") && len(x.Elts) == 2 {
					p := str(x.Elts[1])
					if len(p) == 0 || p[0] != '/' {
						t.Fatalf("route path %q does not start with /", p)
					}
					out = append(out, str(x.Elts[0])+" "+p[1:])
					return false
				}
			case *ast.Ident:
				if v, ok := vars[x.Name]; ok && v != e {
					out = append(out, eval(v)...)
				}
			}
			return true
		})
		return out
	}
	lists := map[string][]string{}
	for name, v := range vars {
		if r := eval(v); len(r) > 0 {
			sort.Strings(r)
			lists[name] = slices.Compact(r)
		}
	}
	return lists
}

// TestRoutesMatchService: the routes the stack sends to each function are
// exactly the routes the service answers in that function's SERVE mode,
// health check aside (it is not routed through API Gateway). A route the
// stack adds that the service does not serve, or a service route the
// stack forgets, fails here.
func TestRoutesMatchService(t *testing.T) {
	if _, err := os.Stat(routesFile); err != nil {
		t.Skipf("%s not on this branch yet (the service's route definition): %v", routesFile, err)
	}
	lists := serviceRoutes(t, routesFile)
	s := synth(t, "dynamodb")
	deployed := map[string][]string{}
	for _, m := range s.methods(t) {
		deployed[m.function] = append(deployed[m.function], m.verb+" "+m.path)
	}
	for fn, list := range map[string]string{s.id(s.stack.Function): "SPEKE", s.id(s.stack.ReadOnlyFunction): "ReadOnly"} {
		var want []string
		for _, r := range lists[list] {
			if r != "GET healthz" {
				want = append(want, r)
			}
		}
		got := deployed[fn]
		sort.Strings(got)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s routes %v, want the service's %s list %v", fn, got, list, want)
		}
	}
	// The players' API is exactly the service's Players list.
	var players []string
	for _, m := range s.methods(t) {
		if m.api == s.playerAPIID() {
			players = append(players, m.verb+" "+m.path)
		}
	}
	sort.Strings(players)
	if !slices.Equal(players, lists["Players"]) {
		t.Errorf("players' API %v, want %v", players, lists["Players"])
	}
}

// TestServiceRoutesReader keeps TestRoutesMatchService honest: the reader
// resolves constants built by concatenation and lists built with append.
func TestServiceRoutesReader(t *testing.T) {
	src := `package routes
import "github.com/speke-go/keyprovider/internal/uuid"
var _ uuid.UUID
const (
	A = "/a"
	P = "p"
	B = "/b/{" + P + "}"
)
type Route struct{ Method, Path string }
var One = []Route{{"GET", A}, Route{"POST", A}}
var Two = append(append([]Route{}, One...), Route{"PUT", B})
`
	file := filepath.Join(t.TempDir(), "routes.go")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := serviceRoutes(t, file)
	want := map[string][]string{"One": {"GET a", "POST a"}, "Two": {"GET a", "POST a", "PUT b/{p}"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
