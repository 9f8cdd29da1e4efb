package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// jsonService is one service spoken over awsJson: CloudWatch's legacy awsJson1_0 and
// CloudWatch Logs' awsJson1_1 share the decoding and encoding below and differ only in
// these settings.
type jsonService struct {
	service      string // key of handlers
	targetPrefix string // X-Amz-Target is targetPrefix + operation
	version      string // "1.0" or "1.1": Content-Type application/x-amz-json-<version>
	// errorNamespace prefixes the modeled error shape in __type
	// ("com.amazonaws.cloudwatch#"); "" writes the bare shape name, as Logs does.
	errorNamespace string
	// queryCompatible services (CloudWatch) also send the awsQuery error code in
	// X-Amzn-Query-Error.
	queryCompatible bool
}

var jsonServices = []*jsonService{
	{service: "cloudwatch", targetPrefix: "GraniteServiceVersion20100801.", version: "1.0",
		errorNamespace: cloudWatchErrorNamespace, queryCompatible: true},
	{service: "logs", targetPrefix: "Logs_20140328.", version: "1.1"},
	{service: "pi", targetPrefix: "PerformanceInsightsv20180227.", version: "1.1"},
}

// decodeJSON decodes an awsJson call; the service comes from the X-Amz-Target prefix.
// An unknown target is still a call (of service "unknown"), which handle answers with
// UnknownOperationException.
func decodeJSON(r *http.Request, target string) (*call, *apiError) {
	for _, svc := range jsonServices {
		if op, ok := strings.CutPrefix(target, svc.targetPrefix); ok {
			return decodeJSONBody(r, &call{service: svc.service, proto: jsonProtocol{svc}, op: op})
		}
	}
	unknown := &jsonService{service: "unknown", version: "1.0"}
	if strings.HasSuffix(r.Header.Get("Content-Type"), "json-1.1") {
		unknown.version = "1.1"
	}
	return &call{service: unknown.service, proto: jsonProtocol{unknown}, op: target, params: map[string]any{}}, nil
}

func decodeJSONBody(r *http.Request, c *call) (*call, *apiError) {
	c.params = map[string]any{}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return c, errMalformed(fmt.Errorf("read body: %w", err))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return c, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&c.params); err != nil {
		return c, errMalformed(fmt.Errorf("decode JSON: %w", err))
	}
	if c.params == nil {
		c.params = map[string]any{}
	}
	return c, nil
}

type jsonProtocol struct{ svc *jsonService }

// name is ProtoJSON or ProtoJSON11.
func (p jsonProtocol) name() string { return "awsJson" + strings.ReplaceAll(p.svc.version, ".", "_") }

func (p jsonProtocol) contentType() string { return "application/x-amz-json-" + p.svc.version }

func (p jsonProtocol) writeResult(w http.ResponseWriter, _ *call, result object) {
	var b strings.Builder
	writeJSON(&b, result)
	writeBody(w, http.StatusOK, p.contentType(), []byte(b.String()))
}

func (p jsonProtocol) writeError(w http.ResponseWriter, _ *call, e *apiError) {
	var b strings.Builder
	writeJSON(&b, object{{"__type", errorType(e, p.svc.errorNamespace)}, {"message", e.message}})
	var extra []string
	if p.svc.queryCompatible {
		extra = []string{"X-Amzn-Query-Error", e.code + ";" + e.fault()}
	}
	writeBody(w, e.status, p.contentType(), []byte(b.String()), extra...)
}
