package sandbox

import (
	"fmt"
	"net/url"
)

// registerSTS adds GetCallerIdentity.
func (s *Server) registerSTS() {
	s.queryOps[stsVersion+":GetCallerIdentity"] = stsGetCallerIdentity
}

// callerIdentity is GetCallerIdentityResult (docs/aws-api.md §7.1). The caller is
// always the account's "sandbox" IAM user, whatever keys signed the call.
type callerIdentity struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

func stsGetCallerIdentity(c *call, _ url.Values) (any, error) {
	return &callerIdentity{
		Arn:     fmt.Sprintf("arn:aws:iam::%s:user/sandbox", c.w.account),
		UserID:  "AIDASANDBOXUSER00001",
		Account: c.w.account,
	}, nil
}
