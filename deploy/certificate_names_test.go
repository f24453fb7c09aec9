package deploy

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/ecsconsole/ecsconsole"
)

// A requested certificate covers the spec's extra names, and the
// deployment shows a CNAME for each.
func TestRequestedCertificateCoversAlternativeNames(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	env.startWorker("w1")
	spec := env.spec(func(s *ecsconsole.Spec) { s.LoadBalancer.HTTPS.AlternativeNames = []string{"www.example.com"} })
	d := env.submit(spec)
	parked := env.waitStatus(d.ID, ecsconsole.StatusWaitingForDNS)
	arn := parked.Outputs.ARNs["certificate"]
	out, err := env.aws.ACM.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: &arn})
	if err != nil {
		t.Fatalf("certificate %q: %v", arn, err)
	}
	if names := out.Certificate.SubjectAlternativeNames; !slices.Contains(names, "www.example.com") || !slices.Contains(names, spec.LoadBalancer.HTTPS.RequestDomain) {
		t.Errorf("certificate names %v", names)
	}
	var domains []string
	for _, r := range parked.DNSValidation {
		domains = append(domains, r.DomainName)
	}
	if !slices.Contains(domains, "www.example.com") {
		t.Errorf("DNS records for %v, want one for www.example.com", domains)
	}
}
