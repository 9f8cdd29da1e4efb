package simulator

import (
	"fmt"
	"io"
	"net/http"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cborPathPrefix is where Smithy RPC v2 CBOR clients (aws-sdk-go-v2's CloudWatch
// default, recent botocore) send CloudWatch operations.
const cborPathPrefix = "/service/GraniteServiceVersion20100801/operation/"

func decodeCBOR(r *http.Request, op string) (*call, *apiError) {
	c := &call{service: "cloudwatch", proto: cborProtocol{}, op: op, params: map[string]any{}}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return c, errMalformed(fmt.Errorf("read body: %w", err))
	}
	if len(body) == 0 {
		return c, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return c, errMalformed(fmt.Errorf("decode CBOR: %w", err))
	}
	tree, err := fromCBOR(v)
	if err != nil {
		return c, errMalformed(err)
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return c, errMalformed(fmt.Errorf("CBOR body is a %T, not a map", tree))
	}
	c.params = m
	return c, nil
}

type cborProtocol struct{}

func (cborProtocol) name() string { return ProtoCBOR }

func (cborProtocol) writeResult(w http.ResponseWriter, _ *call, result object) {
	writeBody(w, http.StatusOK, "application/cbor", cbor.Encode(toCBOR(result)), "Smithy-Protocol", "rpc-v2-cbor")
}

func (cborProtocol) writeError(w http.ResponseWriter, _ *call, e *apiError) {
	body := cbor.Map{"__type": cbor.String(errorType(e, cloudWatchErrorNamespace)), "message": cbor.String(e.message)}
	writeBody(w, e.status, "application/cbor", cbor.Encode(body),
		"Smithy-Protocol", "rpc-v2-cbor", "X-Amzn-Query-Error", e.code+";"+e.fault())
}

// cloudWatchErrorNamespace qualifies CloudWatch's modeled error shapes in __type.
const cloudWatchErrorNamespace = "com.amazonaws.cloudwatch#"

// errorType is the __type of a JSON or CBOR error: the modeled shape's id (namespace
// plus shape name), or the bare code for errors AWS does not model. Query-compatible
// clients take the code from the X-Amzn-Query-Error header either way.
func errorType(e *apiError, namespace string) string {
	if e.shape != "" {
		return namespace + e.shape
	}
	return e.code
}

// writeBody writes a complete response; extra holds header name/value pairs.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte, extra ...string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away; nothing to do
}
