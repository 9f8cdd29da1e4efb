package simulator

import (
	"net/http"
	"regexp"
	"strings"
)

// XML namespaces and API versions of the two awsQuery services.
var queryServices = map[string]struct{ version, xmlns string }{
	"rds":        {"2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/"},
	"cloudwatch": {"2010-08-01", "http://monitoring.amazonaws.com/doc/2010-08-01/"},
}

// sigV4Service picks the service out of "Credential=AKID/20250101/us-east-1/rds/aws4_request".
var sigV4Service = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request`)

// decodeQuery reads an awsQuery form (RDS, or CloudWatch's legacy protocol). The
// service comes from Version, else from the SigV4 credential scope.
func decodeQuery(r *http.Request) (*call, *apiError) {
	if err := r.ParseForm(); err != nil {
		return &call{service: "unknown", op: "unknown", proto: queryProtocol{}}, errMalformed(err)
	}
	action := r.Form.Get("Action")
	if action == "" {
		return nil, nil
	}
	c := &call{service: "unknown", proto: queryProtocol{}, op: action}
	version := r.Form.Get("Version")
	for name, svc := range queryServices {
		if svc.version == version {
			c.service = name
		}
	}
	if c.service == "unknown" {
		if m := sigV4Service.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			switch m[1] {
			case "rds":
				c.service = "rds"
			case "monitoring":
				c.service = "cloudwatch"
			}
		}
	}
	form := r.Form
	form.Del("Action")
	form.Del("Version")
	c.params = fromForm(form)
	return c, nil
}

type queryProtocol struct{}

func (queryProtocol) name() string { return ProtoQuery }

func (queryProtocol) writeResult(w http.ResponseWriter, c *call, result object) {
	var b strings.Builder
	b.WriteString(`<` + c.op + `Response xmlns="` + queryServices[c.service].xmlns + `">`)
	writeXML(&b, c.op+"Result", result)
	b.WriteString("<ResponseMetadata><RequestId>" + c.requestID + "</RequestId></ResponseMetadata>")
	b.WriteString("</" + c.op + "Response>")
	writeBody(w, http.StatusOK, "text/xml", []byte(b.String()))
}

func (queryProtocol) writeError(w http.ResponseWriter, c *call, e *apiError) {
	var b strings.Builder
	b.WriteString(`<ErrorResponse xmlns="` + queryServices[c.service].xmlns + `">`)
	writeXML(&b, "Error", object{{"Type", e.fault()}, {"Code", e.code}, {"Message", e.message}})
	writeXML(&b, "RequestId", c.requestID)
	b.WriteString("</ErrorResponse>")
	writeBody(w, e.status, "text/xml", []byte(b.String()))
}
