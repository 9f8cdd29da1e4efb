package simulator

import (
	"io"
	"net/http"
	"time"
)

// minResponseDelay holds every AWS answer back a little, because of the SDK race that
// HTTPClient describes: net/http makes a last read of a request body (looking for bytes
// beyond Content-Length) after sending it, and smithy-go may have closed the body by
// then. Real AWS is never fast enough to hit this; a local server answering in
// microseconds hit it on about 1% of calls on 2 cores.
const minResponseDelay = 2 * time.Millisecond

// HTTPClient returns an *http.Client for aws-sdk-go-v2 clients (Options.HTTPClient or
// aws.Config.HTTPClient) that talk to the simulator. smithy-go closes a request body as
// soon as the response headers arrive; when a server answers within microseconds,
// net/http may still be reading that body, takes the io.EOF from its WriteTo as a write
// error and drops the connection under the response, and the SDK retries. The
// simulator's 2 ms answer floor makes that rare; this client, which hides io.WriterTo
// on request bodies, rules it out, so call counts stay exact on a loaded machine.
func HTTPClient() *http.Client {
	return &http.Client{Transport: plainBodyTransport{http.DefaultTransport}}
}

type plainBodyTransport struct{ next http.RoundTripper }

func (t plainBodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.Clone(r.Context())
		r.Body = plainBody{r.Body}
	}
	return t.next.RoundTrip(r)
}

// plainBody exposes only Read and Close of a request body.
type plainBody struct{ rc io.ReadCloser }

func (b plainBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b plainBody) Close() error               { return b.rc.Close() }
