package sandbox

import (
	"net/http"
	"net/url"
)

// serveQuery handles the form-encoded services: ELBv2 and STS (awsQuery)
// and EC2 (ec2Query), routed by Version and Action.
// (placeholder: the XML envelopes are filled in by the ELBv2/EC2 implementation)
func (s *Server) serveQuery(rw http.ResponseWriter, r *http.Request, form url.Values, region, requestID string) {
	panic("TODO(query): serveQuery")
}
