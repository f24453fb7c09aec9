package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/ecsconsole/ecsconsole/store"
)

// certificateResult is the certificate steps' recorded result.
type certificateResult struct {
	ARN    string `json:"arn"`
	Domain string `json:"domain"`
	Status string `json:"status"`
}

// ensureCertificate picks the spec's certificate, or an existing one for
// requestDomain, or requests a DNS-validated one (its CNAME records are
// stored on the deployment for the user to add).
func (r *run) ensureCertificate(ctx context.Context, rec *stepRecord) (certificateResult, error) {
	h := r.spec.LoadBalancer.HTTPS
	arn := h.CertificateArn
	rec.action = store.ActionReuse
	if arn == "" {
		found, err := lookup{r.aws}.certificateFor(ctx, h.RequestDomain)
		if err != nil {
			return certificateResult{}, err
		}
		arn = found
	}
	if arn == "" {
		out, err := r.aws.ACM.RequestCertificate(ctx, &acm.RequestCertificateInput{
			DomainName: aws.String(h.RequestDomain), ValidationMethod: acmtypes.ValidationMethodDns,
			// The same token within an hour returns the same certificate, so
			// a resumed attempt does not request a second one.
			IdempotencyToken: aws.String("ecsconsole" + r.tagValue()),
			Tags:             []acmtypes.Tag{{Key: aws.String(tagKey), Value: aws.String(r.tagValue())}},
		})
		if err != nil {
			return certificateResult{}, err
		}
		arn, rec.action = aws.ToString(out.CertificateArn), store.ActionCreate
	}
	rec.arn = arn
	cert, err := r.describeCertificate(ctx, arn)
	if err != nil {
		return certificateResult{}, err
	}
	return certificateResult{ARN: arn, Domain: aws.ToString(cert.DomainName), Status: string(cert.Status)}, nil
}

// describeCertificate reads the certificate and stores its DNS validation
// records on the deployment while it is pending. ACM adds the records a
// few seconds after the request, so a pending certificate without them is
// read again after a poll interval.
func (r *run) describeCertificate(ctx context.Context, arn string) (*acmtypes.CertificateDetail, error) {
	for {
		out, err := r.aws.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil {
			return nil, err
		}
		cert := out.Certificate
		records := dnsRecords(cert)
		if cert.Status != acmtypes.CertificateStatusPendingValidation {
			return cert, nil
		}
		if len(records) > 0 {
			return cert, r.e.store.SetDNSValidation(ctx, r.d.ID, records)
		}
		if err := sleep(ctx, r.e.opts.PollInterval); err != nil {
			return nil, err
		}
	}
}

func dnsRecords(cert *acmtypes.CertificateDetail) []store.DNSRecord {
	var records []store.DNSRecord
	for _, o := range cert.DomainValidationOptions {
		if o.ResourceRecord == nil {
			continue
		}
		records = append(records, store.DNSRecord{
			DomainName: aws.ToString(o.DomainName), Name: aws.ToString(o.ResourceRecord.Name),
			Type: string(o.ResourceRecord.Type), Value: aws.ToString(o.ResourceRecord.Value),
			Status: string(o.ValidationStatus),
		})
	}
	return records
}

// waitCertificateIssued polls until ACM reports the certificate ISSUED. When
// the rest of the deployment is done (the service stable) and it is still
// pending, it parks the deployment (errWaitingForDNS) rather than hold a
// worker while a person edits DNS records.
func (r *run) waitCertificateIssued(ctx context.Context, rec *stepRecord) (certificateResult, error) {
	rec.action, rec.arn = store.ActionWait, r.certificate.ARN
	stable := r.nodes[stepServiceStable].done
	interval := r.e.opts.PollInterval
	for first := true; ; first = false {
		out, err := r.aws.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(r.certificate.ARN)})
		if err != nil {
			return certificateResult{}, err
		}
		cert := out.Certificate
		res := certificateResult{ARN: r.certificate.ARN, Domain: aws.ToString(cert.DomainName), Status: string(cert.Status)}
		switch cert.Status {
		case acmtypes.CertificateStatusIssued:
			if r.d.Status == store.StatusWaitingForDNS {
				// Woken from parking: the rest of the apply runs now.
				if err := r.e.store.SetDeploymentStatus(ctx, r.d.ID, store.StatusRunning); err != nil {
					return certificateResult{}, err
				}
			}
			if records := dnsRecords(cert); len(records) > 0 {
				return res, r.e.store.SetDNSValidation(ctx, r.d.ID, records)
			}
			return res, nil
		case acmtypes.CertificateStatusPendingValidation:
			if first {
				msg := fmt.Sprintf("certificate for %s awaits DNS validation: add its CNAME records", res.Domain)
				if err := r.e.store.SetStepProgress(ctx, r.d.ID, stepCertificateIssued, msg); err != nil {
					return certificateResult{}, err
				}
			}
		default:
			return certificateResult{}, fail("CertificateNotIssued", "certificate %s for %s is %s (%s); request a new one or pick an issued certificate",
				r.certificate.ARN, res.Domain, cert.Status, cert.FailureReason)
		}
		select {
		case <-stable:
			return certificateResult{}, errWaitingForDNS
		default:
		}
		if err := sleepUnless(ctx, interval, stable); err != nil {
			return certificateResult{}, err
		}
		interval = min(2*interval, r.e.opts.MaxPollInterval)
	}
}

// certificateFor returns an ISSUED certificate for domain, else a pending
// one, else "".
func (l lookup) certificateFor(ctx context.Context, domain string) (string, error) {
	in := &acm.ListCertificatesInput{CertificateStatuses: []acmtypes.CertificateStatus{
		acmtypes.CertificateStatusIssued, acmtypes.CertificateStatusPendingValidation}}
	pending := ""
	for p := acm.NewListCertificatesPaginator(l.c.ACM, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing certificates: %w", err)
		}
		for _, c := range page.CertificateSummaryList {
			if aws.ToString(c.DomainName) != domain {
				continue
			}
			if c.Status == acmtypes.CertificateStatusIssued {
				return aws.ToString(c.CertificateArn), nil
			}
			pending = aws.ToString(c.CertificateArn)
		}
	}
	return pending, nil
}
