package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// jsonTargetPrefix starts the X-Amz-Target of awsJson1_0 CloudWatch calls.
const jsonTargetPrefix = "GraniteServiceVersion20100801."

func decodeJSON(r *http.Request, target string) (*call, *apiError) {
	op, ok := strings.CutPrefix(target, jsonTargetPrefix)
	c := &call{service: "cloudwatch", proto: jsonProtocol{}, op: op, params: map[string]any{}}
	if !ok {
		c.service, c.op = "unknown", target
		return c, nil
	}
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

type jsonProtocol struct{}

func (jsonProtocol) name() string { return ProtoJSON }

func (jsonProtocol) writeResult(w http.ResponseWriter, _ *call, result object) {
	var b strings.Builder
	writeJSON(&b, result)
	writeBody(w, http.StatusOK, "application/x-amz-json-1.0", []byte(b.String()))
}

func (jsonProtocol) writeError(w http.ResponseWriter, _ *call, e *apiError) {
	var b strings.Builder
	writeJSON(&b, object{{"__type", errorType(e)}, {"message", e.message}})
	writeBody(w, e.status, "application/x-amz-json-1.0", []byte(b.String()),
		"X-Amzn-Query-Error", e.code+";"+e.fault())
}
