package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/annexlab/annex/integration/api"
)

// openAPIDoc is the part of an OpenAPI description the tests read.
type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

func loadOpenAPI(t *testing.T, raw []byte) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// TestOpenAPI holds the served OpenAPI description to the engine's routes:
// it is served without a key, every registered route is documented, and
// every documented operation is a registered route.
func TestOpenAPI(t *testing.T) {
	w := newInventoryWorld(t)
	status, body := w.call(t, http.MethodGet, "/api/openapi.json", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: status %d: %s", status, body)
	}
	if !bytes.Equal(body, api.OpenAPI()) {
		t.Fatal("the served description differs from api.OpenAPI()")
	}
	doc := loadOpenAPI(t, body)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	routes := api.ForEngine(w.eng, nil).(interface{ Routes() []string }).Routes()
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is not documented in integration/api/openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json documents %q, which is not a route", d)
		}
	}
}

// TestOpenAPIDescribesReplies validates every golden reply of the read
// side against the response schema the description gives for its route
// and status, so the description says what the engine really answers.
func TestOpenAPIDescribesReplies(t *testing.T) {
	raw := api.OpenAPI()
	doc := loadOpenAPI(t, raw)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	const loc = "https://annex.invalid/openapi.json"
	if err := c.AddResource(loc, res); err != nil {
		t.Fatal(err)
	}
	w := newInventoryWorld(t)
	for _, cs := range inventoryCases() {
		t.Run(cs.name, func(t *testing.T) {
			status, body := w.callCase(t, cs)
			tmpl := matchPath(doc, cs.method, cs.path)
			if tmpl == "" {
				t.Fatalf("no documented operation matches %s %s", cs.method, cs.path)
			}
			ptr := fmt.Sprintf("#/paths/%s/%s/responses/%d/content/application~1json/schema",
				url.PathEscape(pointerEscape(tmpl)), strings.ToLower(cs.method), status)
			sch, err := c.Compile(loc + ptr)
			if err != nil {
				t.Fatalf("%s %s answered %d, which the description does not document: %v", cs.method, tmpl, status, err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("reply of %s %s does not match the description: %v\n%s", cs.method, cs.path, err, body)
			}
		})
	}
}

// matchPath finds the documented path template a request path matches;
// a literal segment beats a parameter.
func matchPath(doc openAPIDoc, method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimSuffix(path, "/") // the server drops it too
	segs := strings.Split(path, "/")
	best, bestLiterals := "", -1
	for tmpl, ops := range doc.Paths {
		if _, ok := ops[strings.ToLower(method)]; !ok {
			continue
		}
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		literals, match := 0, true
		for i, s := range ts {
			switch {
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			case s == segs[i]:
				literals++
			default:
				match = false
			}
		}
		if match && literals > bestLiterals {
			best, bestLiterals = tmpl, literals
		}
	}
	return best
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
