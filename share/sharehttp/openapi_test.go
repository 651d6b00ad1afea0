package sharehttp

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The OpenAPI description, as much of it as the checks read.
type apiDoc struct {
	OpenAPI    string                          `json:"openapi"`
	Paths      map[string]map[string]operation `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
			ErrorCodes map[string]int `json:"x-error-codes"`
		} `json:"schemas"`
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
	} `json:"components"`
}

type operation struct {
	OperationID string `json:"operationId"`
	Parameters  []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Security    []map[string][]string `json:"security"`
	RequestBody *struct {
		Content map[string]mediaType `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Ref     string                     `json:"$ref"`
		Content map[string]mediaType       `json:"content"`
		Headers map[string]json.RawMessage `json:"headers"`
	} `json:"responses"`
}

type mediaType struct {
	Schema struct {
		Ref   string `json:"$ref"`
		Type  string `json:"type"`
		Items struct {
			Ref string `json:"$ref"`
		} `json:"items"`
	} `json:"schema"`
	FrameRecord struct {
		Ref string `json:"$ref"`
	} `json:"x-frame-record"`
}

func readAPIDoc(t *testing.T) *apiDoc {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err) // a missing description fails; it never skips
	}
	var doc apiDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	return &doc
}

const schemaRef = "#/components/schemas/"

// TestOpenAPIRoutes holds openapi.json against the route table both ways:
// every route is described with its method, path, parameters, auth,
// bodies and success status, and nothing else is described.
func TestOpenAPIRoutes(t *testing.T) {
	doc := readAPIDoc(t)
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	wildcard := regexp.MustCompile(`\{([a-z]+)\}`)
	for _, rt := range Routes() {
		t.Run(rt.Name, func(t *testing.T) {
			key := rt.Method + " " + rt.Path
			if !described[key] {
				t.Fatalf("%s is not in openapi.json", key)
			}
			delete(described, key)
			op := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
			equal(t, "operationId", op.OperationID, rt.Name)

			var params []string
			for _, m := range wildcard.FindAllStringSubmatch(rt.Path, -1) {
				params = append(params, "path "+m[1])
			}
			for _, q := range rt.Query {
				params = append(params, "query "+q)
			}
			if rt.Ranges {
				params = append(params, "header Range", "header If-Range")
			}
			var got []string
			for _, p := range op.Parameters {
				got = append(got, p.In+" "+p.Name)
			}
			equal(t, "parameters", got, params)

			switch rt.Auth {
			case AuthSigned:
				equal(t, "security", op.Security, []map[string][]string{{"signature": {}}})
			case AuthLink:
				if op.Security == nil || len(op.Security) != 0 {
					t.Errorf("security %v, want [] (anonymous)", op.Security)
				}
			default:
				t.Fatalf("auth %d", rt.Auth)
			}

			if rt.Request.Kind == NoBody {
				if op.RequestBody != nil {
					t.Error("a request body is described")
				}
			} else if op.RequestBody == nil {
				t.Error("no request body is described")
			} else {
				checkBody(t, "request", rt.Request, op.RequestBody.Content)
			}

			status := strconv.Itoa(rt.Status)
			statuses := []string{status, "default"}
			if rt.Ranges {
				statuses = []string{status, "206", "416", "default"}
				checkBody(t, "partial response", rt.Response, op.Responses["206"].Content)
				checkBody(t, "416 response", Body{JSON, "Error"}, op.Responses["416"].Content)
				for _, s := range []string{"206", "416"} {
					if _, ok := op.Responses[s].Headers["Content-Range"]; !ok {
						t.Errorf("%s answer without a Content-Range header", s)
					}
				}
			}
			equal(t, "responses", slices.Sorted(maps.Keys(op.Responses)), statuses)
			checkBody(t, "response", rt.Response, op.Responses[status].Content)
			equal(t, "default response", op.Responses["default"].Ref, "#/components/responses/Error")

			for _, s := range []Body{rt.Request, rt.Response} {
				if _, ok := doc.Components.Schemas[s.Schema]; s.Schema != "" && !ok {
					t.Errorf("schema %s is not described", s.Schema)
				}
			}
		})
	}
	for key := range described {
		t.Errorf("%s is described but not routed", key)
	}
	if _, ok := doc.Components.SecuritySchemes["signature"]; !ok {
		t.Error("no signature security scheme")
	}
}

// checkBody checks one body's media type and schema against b.
func checkBody(t *testing.T, what string, b Body, content map[string]mediaType) {
	t.Helper()
	var want string
	switch b.Kind {
	case JSON, JSONList:
		want = "application/json"
	case Frame, Stream:
		want = "application/octet-stream"
	default:
		t.Fatalf("%s: kind %d", what, b.Kind)
	}
	equal(t, what+" media types", slices.Sorted(maps.Keys(content)), []string{want})
	m := content[want]
	switch b.Kind {
	case JSON:
		equal(t, what+" schema", m.Schema.Ref, schemaRef+b.Schema)
	case JSONList:
		equal(t, what+" schema", m.Schema.Type+" of "+m.Schema.Items.Ref, "array of "+schemaRef+b.Schema)
	case Frame:
		equal(t, what+" frame record", m.FrameRecord.Ref, schemaRef+b.Schema)
	case Stream:
		equal(t, what+" frame record", m.FrameRecord.Ref, "")
	}
}

// TestOpenAPIErrorCodes: the described error codes and statuses are
// share's code table, plus internal.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := readAPIDoc(t)
	want := map[string]int{"internal": http.StatusInternalServerError}
	for _, c := range wire.Codes {
		want[c.Code] = c.Status
	}
	e := doc.Components.Schemas["Error"]
	equal(t, "x-error-codes", e.ErrorCodes, want)
	equal(t, "error enum", slices.Sorted(slices.Values(e.Properties["error"].Enum)), slices.Sorted(maps.Keys(want)))
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: openapi.json has %v, the table %v", what, got, want)
	}
}
