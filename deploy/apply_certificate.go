package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/ecsconsole/ecsconsole"
)

// decideCertificate picks the spec's certificate, or this service's
// certificate for requestDomain, or requests a DNS-validated one. A
// certificate for the domain that another service's deployment requested,
// or that was made outside the console, is refused: name it with
// https.certificateArn to use it.
func decideCertificate(ctx context.Context, s *stepCtx) (decision, error) {
	h := s.spec.LoadBalancer.HTTPS
	if h.CertificateArn != "" {
		return decision{Action: ecsconsole.ActionReuse, Name: h.CertificateArn, Found: result{ARN: h.CertificateArn},
			Reason: fmt.Sprintf("the spec names certificate %s", h.CertificateArn)}, nil
	}
	domain := h.RequestDomain
	found, err := s.l().certificatesFor(ctx, domain)
	if err != nil {
		return decision{}, err
	}
	var refusal *decision
	for _, arn := range found {
		tags, err := s.l().certificateTags(ctx, arn)
		if err != nil {
			return decision{}, err
		}
		d, err := s.owned(ctx, "the certificate for "+domain+" ("+arn+")", tags,
			"name it with https.certificateArn to use it here, or request a certificate for another domain", result{ARN: arn},
			decision{Action: ecsconsole.ActionReuse, Name: domain, Reason: fmt.Sprintf("certificate for %s exists (%s)", domain, arn)})
		switch {
		case err != nil:
			return decision{}, err
		case d.Action != ecsconsole.ActionRefuse:
			return d, nil
		case refusal == nil:
			refusal = &d
		}
	}
	if refusal != nil {
		return *refusal, nil
	}
	return decision{Action: ecsconsole.ActionCreate, Name: domain, Reason: fmt.Sprintf("no certificate for %s: request one, validated by DNS", domain)}, nil
}

// applyCertificate requests the certificate (tagged) when decided, then
// reads it, storing its DNS validation records on the deployment.
func applyCertificate(ctx context.Context, s *stepCtx, d decision) (result, error) {
	arn := d.Found.ARN
	if d.creates() {
		out, err := s.aws.ACM.RequestCertificate(ctx, &acm.RequestCertificateInput{
			DomainName: aws.String(s.spec.LoadBalancer.HTTPS.RequestDomain), ValidationMethod: acmtypes.ValidationMethodDns,
			SubjectAlternativeNames: certificateNames(s.spec.LoadBalancer.HTTPS),
			// The same token within an hour returns the same certificate, so
			// a resumed attempt does not request a second one.
			IdempotencyToken: aws.String("ecsconsole" + s.tagValue()),
			Tags:             acmTags(s.tags()),
		})
		if err != nil {
			return result{}, err
		}
		arn = aws.ToString(out.CertificateArn)
	}
	cert, err := s.describeCertificate(ctx, arn)
	if err != nil {
		return result{ARN: arn}, err
	}
	return result{ARN: arn, Domain: aws.ToString(cert.DomainName), Status: string(cert.Status)}, nil
}

// certificateRecordsTimeout bounds the wait for ACM to show a new
// certificate's DNS validation records (it takes seconds).
const certificateRecordsTimeout = 5 * time.Minute

// describeCertificate reads the certificate and stores its DNS validation
// records on the deployment while it is pending. ACM adds the records a
// few seconds after the request, so a pending certificate without them is
// read again.
func (s *stepCtx) describeCertificate(ctx context.Context, arn string) (*acmtypes.CertificateDetail, error) {
	var cert *acmtypes.CertificateDetail
	err := s.poll(ctx, wait{deadline: time.Now().Add(certificateRecordsTimeout), timedOut: func(string) error {
		return fail("CertificateRecordsMissing", "ACM showed no DNS validation records for certificate %s within %s; deploy again", arn, certificateRecordsTimeout)
	}}, func(ctx context.Context) (bool, string, error) {
		out, err := s.aws.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil {
			return false, "", err
		}
		cert = out.Certificate
		if cert.Status != acmtypes.CertificateStatusPendingValidation {
			return true, "", nil
		}
		if records := dnsRecords(cert); len(records) > 0 {
			return true, "", s.e.store.SetDNSValidation(ctx, s.d.ID, records)
		}
		return false, "waiting for ACM's DNS validation records", nil
	})
	return cert, err
}

func acmTags(tags map[string]string) []acmtypes.Tag {
	return awsTags(tags, func(k, v *string) acmtypes.Tag { return acmtypes.Tag{Key: k, Value: v} })
}

func dnsRecords(cert *acmtypes.CertificateDetail) []ecsconsole.DNSRecord {
	var records []ecsconsole.DNSRecord
	for _, o := range cert.DomainValidationOptions {
		if o.ResourceRecord == nil {
			continue
		}
		records = append(records, ecsconsole.DNSRecord{
			DomainName: aws.ToString(o.DomainName), Name: aws.ToString(o.ResourceRecord.Name),
			Type: string(o.ResourceRecord.Type), Value: aws.ToString(o.ResourceRecord.Value),
			Status: string(o.ValidationStatus),
		})
	}
	return records
}

// waitCertificateIssued polls until ACM reports the certificate ISSUED.
// Once the service is stable (parkOn) and it is still pending, it parks
// the deployment (errWaitingForDNS) rather than hold a worker while a
// person edits DNS records; the job wakes every DNSRecheckInterval. The
// wait is bounded by CertificateTimeout from the deployment's creation
// (72 hours, ACM's own limit for DNS validation): past it the deployment
// fails, saying to add the records and deploy again.
func waitCertificateIssued(ctx context.Context, s *stepCtx, _ decision) (result, error) {
	arn := s.dep(stepCertificate).ARN
	res := result{ARN: arn}
	timeout := s.e.opts.CertificateTimeout
	err := s.poll(ctx, wait{step: stepCertificateIssued, deadline: s.d.CreatedAt.Add(timeout), park: s.park, timedOut: func(string) error {
		return fail("CertificateNotValidated", "the certificate for %s was not validated within %s; add its CNAME records at your DNS provider and deploy again",
			res.Domain, timeout)
	}}, func(ctx context.Context) (bool, string, error) {
		out, err := s.aws.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil {
			return false, "", err
		}
		cert := out.Certificate
		res.Domain, res.Status = aws.ToString(cert.DomainName), string(cert.Status)
		switch cert.Status {
		case acmtypes.CertificateStatusIssued:
			if s.d.Status == ecsconsole.StatusWaitingForDNS {
				// Woken from parking: the rest of the apply runs now.
				if err := s.e.store.SetDeploymentStatus(ctx, s.d.ID, ecsconsole.StatusRunning); err != nil {
					return false, "", err
				}
			}
			if records := dnsRecords(cert); len(records) > 0 {
				return true, "", s.e.store.SetDNSValidation(ctx, s.d.ID, records)
			}
			return true, "", nil
		case acmtypes.CertificateStatusPendingValidation:
			return false, fmt.Sprintf("certificate for %s awaits DNS validation: add its CNAME records", res.Domain), nil
		}
		return false, "", fail("CertificateNotIssued", "certificate %s for %s is %s (%s); request a new one or pick an issued certificate",
			arn, res.Domain, cert.Status, cert.FailureReason)
	})
	return res, err
}

// certificatesFor returns the ISSUED certificates for domain, then the
// pending ones.
func (l lookup) certificatesFor(ctx context.Context, domain string) ([]string, error) {
	in := &acm.ListCertificatesInput{CertificateStatuses: []acmtypes.CertificateStatus{
		acmtypes.CertificateStatusIssued, acmtypes.CertificateStatusPendingValidation}}
	var issued, pending []string
	for p := acm.NewListCertificatesPaginator(l.c.ACM, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing certificates: %w", err)
		}
		for _, c := range page.CertificateSummaryList {
			if aws.ToString(c.DomainName) != domain {
				continue
			}
			if c.Status == acmtypes.CertificateStatusIssued {
				issued = append(issued, aws.ToString(c.CertificateArn))
			} else {
				pending = append(pending, aws.ToString(c.CertificateArn))
			}
		}
	}
	return append(issued, pending...), nil
}

// certificateTags returns a certificate's tags.
func (l lookup) certificateTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := l.c.ACM.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	return tagsOf(out.Tags, func(t acmtypes.Tag) (*string, *string) { return t.Key, t.Value }), nil
}

// certificateNames are a requested certificate's subject alternative names:
// none beyond the domain, or the domain first and then the extra names.
func certificateNames(h *ecsconsole.HTTPS) []string {
	if len(h.AlternativeNames) == 0 {
		return nil
	}
	return append([]string{h.RequestDomain}, h.AlternativeNames...)
}
