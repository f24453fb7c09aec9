package sandbox

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
)

var (
	recordNamePattern  = regexp.MustCompile(`^_[0-9a-f]{32}\.example\.com\.$`)
	recordValuePattern = regexp.MustCompile(`^_[0-9a-f]{32}\.[a-z]{10}\.acm-validations\.aws\.$`)
	certARNPattern     = regexp.MustCompile(`^arn:aws:acm:us-east-1:000000000000:certificate/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// requestCert requests a DNS-validated certificate and returns its ARN.
func requestCert(t *testing.T, env *testEnv, domain string, sans ...string) string {
	t.Helper()
	in := &acm.RequestCertificateInput{DomainName: aws.String(domain), ValidationMethod: acmtypes.ValidationMethodDns}
	if len(sans) > 0 {
		in.SubjectAlternativeNames = sans
	}
	out, err := env.ACM.RequestCertificate(t.Context(), in)
	if err != nil {
		t.Fatalf("RequestCertificate(%s): %v", domain, err)
	}
	return aws.ToString(out.CertificateArn)
}

// inWorld runs fn on the default region's world under the server lock,
// for what no API exposes (a load balancer's listener using a certificate).
func inWorld(s *Server, fn func(w *world)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.worldFor(s.opts.Region))
}

func describeCert(t *testing.T, env *testEnv, arn string) *acmtypes.CertificateDetail {
	t.Helper()
	out, err := env.ACM.DescribeCertificate(t.Context(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	return out.Certificate
}

func TestACMCertificateLifecycle(t *testing.T) {
	env := newTestEnvWith(t, Options{CertificateValidationDelay: 10 * time.Minute})
	arn := requestCert(t, env, "example.com", "www.example.com", "*.example.com")
	if !certARNPattern.MatchString(arn) {
		t.Fatalf("ARN %q does not have ACM's format", arn)
	}

	cert := describeCert(t, env, arn)
	if cert.Status != acmtypes.CertificateStatusPendingValidation {
		t.Fatalf("new certificate status = %s, want PENDING_VALIDATION", cert.Status)
	}
	if want := []string{"example.com", "www.example.com", "*.example.com"}; !slices.Equal(cert.SubjectAlternativeNames, want) {
		t.Errorf("SANs = %v, want %v (DomainName first)", cert.SubjectAlternativeNames, want)
	}
	if len(cert.DomainValidationOptions) != 3 {
		t.Fatalf("got %d DomainValidationOptions, want one per name", len(cert.DomainValidationOptions))
	}
	for _, dv := range cert.DomainValidationOptions {
		if dv.ResourceRecord != nil || dv.ValidationStatus != "" {
			t.Errorf("%s: record %+v status %q in the first seconds, want neither (as on AWS)", aws.ToString(dv.DomainName), dv.ResourceRecord, dv.ValidationStatus)
		}
	}

	env.Server.Clock().Advance(acmRecordDelay)
	cert = describeCert(t, env, arn)
	byName := map[string]acmtypes.DomainValidation{}
	for _, dv := range cert.DomainValidationOptions {
		byName[aws.ToString(dv.DomainName)] = dv
		rr := dv.ResourceRecord
		if rr == nil {
			t.Fatalf("%s: no ResourceRecord after %s", aws.ToString(dv.DomainName), acmRecordDelay)
		}
		if dv.ValidationStatus != acmtypes.DomainStatusPendingValidation || rr.Type != acmtypes.RecordTypeCname {
			t.Errorf("%s: status %s type %s, want PENDING_VALIDATION CNAME", aws.ToString(dv.DomainName), dv.ValidationStatus, rr.Type)
		}
		if dv.DomainName != nil && !strings.HasPrefix(*dv.DomainName, "www") && !recordNamePattern.MatchString(aws.ToString(rr.Name)) {
			t.Errorf("record name %q, want _<32 hex>.example.com.", aws.ToString(rr.Name))
		}
		if !recordValuePattern.MatchString(aws.ToString(rr.Value)) {
			t.Errorf("record value %q, want _<32 hex>.<10 letters>.acm-validations.aws.", aws.ToString(rr.Value))
		}
	}
	if a, b := byName["example.com"].ResourceRecord, byName["*.example.com"].ResourceRecord; *a.Name != *b.Name || *a.Value != *b.Value {
		t.Errorf("wildcard record %s → %s differs from its base domain's %s → %s", *b.Name, *b.Value, *a.Name, *a.Value)
	}
	if a, b := byName["example.com"].ResourceRecord, byName["www.example.com"].ResourceRecord; *a.Name == *b.Name {
		t.Errorf("www.example.com shares example.com's record name %s", *a.Name)
	}

	env.Server.Clock().Advance(10 * time.Minute)
	cert = describeCert(t, env, arn)
	if cert.Status != acmtypes.CertificateStatusIssued {
		t.Fatalf("status after the validation delay = %s, want ISSUED", cert.Status)
	}
	for _, dv := range cert.DomainValidationOptions {
		if dv.ValidationStatus != acmtypes.DomainStatusSuccess {
			t.Errorf("%s: ValidationStatus %s, want SUCCESS", aws.ToString(dv.DomainName), dv.ValidationStatus)
		}
	}
	if cert.IssuedAt == nil || cert.NotBefore == nil || cert.NotAfter == nil || aws.ToString(cert.Serial) == "" {
		t.Fatalf("issued certificate lacks IssuedAt/NotBefore/NotAfter/Serial: %+v", cert)
	}
	if validity := cert.NotAfter.Sub(*cert.NotBefore); validity < 390*24*time.Hour || validity > 400*24*time.Hour {
		t.Errorf("validity %s, want about 13 months", validity)
	}
}

func TestACMCertificateValidatedWaiter(t *testing.T) {
	env := newTestEnvWith(t, Options{Speed: 1200, CertificateValidationDelay: 2 * time.Minute})
	arn := requestCert(t, env, "app.example.com")

	waiter := acm.NewCertificateValidatedWaiter(env.ACM, func(o *acm.CertificateValidatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	if err := waiter.Wait(t.Context(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}, 10*time.Second); err != nil {
		t.Fatalf("CertificateValidated waiter: %v", err)
	}
	if st := describeCert(t, env, arn).Status; st != acmtypes.CertificateStatusIssued {
		t.Errorf("status after the waiter = %s, want ISSUED", st)
	}
}

// TestACMEmailValidationByDefault: without ValidationMethod, ACM validates
// by email, so no CNAME record ever appears.
func TestACMEmailValidationByDefault(t *testing.T) {
	env := newTestEnv(t)
	out, err := env.ACM.RequestCertificate(t.Context(), &acm.RequestCertificateInput{DomainName: aws.String("www.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	env.Server.Clock().Advance(acmRecordDelay)
	dv := describeCert(t, env, aws.ToString(out.CertificateArn)).DomainValidationOptions[0]
	if dv.ValidationMethod != acmtypes.ValidationMethodEmail || dv.ResourceRecord != nil {
		t.Errorf("method %s record %+v, want EMAIL and no record", dv.ValidationMethod, dv.ResourceRecord)
	}
	if !slices.Contains(dv.ValidationEmails, "admin@www.example.com") {
		t.Errorf("ValidationEmails = %v, want the admin@ address among them", dv.ValidationEmails)
	}
}

func TestACMRecordsAreDistinctPerCertificate(t *testing.T) {
	env := newTestEnv(t)
	first, second := requestCert(t, env, "example.com"), requestCert(t, env, "example.com")
	env.Server.Clock().Advance(acmRecordDelay)
	a := describeCert(t, env, first).DomainValidationOptions[0].ResourceRecord
	b := describeCert(t, env, second).DomainValidationOptions[0].ResourceRecord
	if *a.Name == *b.Name || *a.Value == *b.Value {
		t.Errorf("two certificates share a validation record: %s → %s and %s → %s", *a.Name, *a.Value, *b.Name, *b.Value)
	}
}

func TestACMRequestCertificateValidation(t *testing.T) {
	env := newTestEnv(t)
	long := strings.Repeat("a", 60) + ".example.com"
	many := []string{}
	for i := range acmMaxDomainNames {
		many = append(many, "n"+string(rune('a'+i))+".example.com")
	}
	tests := []struct {
		name string
		in   acm.RequestCertificateInput
		code string
	}{
		{"trailing dot", acm.RequestCertificateInput{DomainName: aws.String("example.com.")}, "ValidationException"},
		{"single label", acm.RequestCertificateInput{DomainName: aws.String("localhost")}, "ValidationException"},
		{"label starts with hyphen", acm.RequestCertificateInput{DomainName: aws.String("-app.example.com")}, "ValidationException"},
		{"underscore", acm.RequestCertificateInput{DomainName: aws.String("my_app.example.com")}, "ValidationException"},
		{"common name over 64 characters", acm.RequestCertificateInput{DomainName: aws.String(long)}, "ValidationException"},
		{"bad SAN", acm.RequestCertificateInput{DomainName: aws.String("example.com"), SubjectAlternativeNames: []string{"ok.example.com", "bad..example.com"}}, "ValidationException"},
		{"bad idempotency token", acm.RequestCertificateInput{DomainName: aws.String("example.com"), IdempotencyToken: aws.String("not-a-word")}, "ValidationException"},
		{"bad key algorithm", acm.RequestCertificateInput{DomainName: aws.String("example.com"), KeyAlgorithm: "RSA_999"}, "ValidationException"},
		{"more names than the quota", acm.RequestCertificateInput{DomainName: aws.String("example.com"), SubjectAlternativeNames: many}, "LimitExceededException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// LimitExceededException is retried as throttling: one attempt keeps the test fast.
			_, err := env.ACM.RequestCertificate(t.Context(), &tt.in, func(o *acm.Options) { o.RetryMaxAttempts = 1 })
			wantAPIError(t, err, tt.code)
		})
	}

	t.Run("wildcard accepted", func(t *testing.T) {
		requestCert(t, env, "*.example.com")
	})
}

func TestACMIdempotencyToken(t *testing.T) {
	env := newTestEnv(t)
	request := func(token string) string {
		out, err := env.ACM.RequestCertificate(t.Context(), &acm.RequestCertificateInput{
			DomainName: aws.String("example.com"), ValidationMethod: acmtypes.ValidationMethodDns, IdempotencyToken: aws.String(token),
		})
		if err != nil {
			t.Fatalf("RequestCertificate: %v", err)
		}
		return aws.ToString(out.CertificateArn)
	}
	first := request("deploy42")
	if again := request("deploy42"); again != first {
		t.Errorf("same token gave %s, want the first certificate %s", again, first)
	}
	if other := request("deploy43"); other == first {
		t.Errorf("a different token returned the same certificate")
	}
	env.Server.Clock().Advance(acmIdempotencyWindow + time.Second)
	if later := request("deploy42"); later == first {
		t.Errorf("token reused after an hour still returned the first certificate")
	}
}

func TestACMDescribeAndDeleteErrors(t *testing.T) {
	env := newTestEnv(t)
	unknown := "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000000"
	tests := []struct {
		name, arn, code string
	}{
		{"malformed ARN", "not-an-arn-but-long-enough", "InvalidArnException"},
		{"another service's ARN", "arn:aws:ecs:us-east-1:000000000000:cluster/demo", "InvalidArnException"},
		{"unknown certificate", unknown, "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.ACM.DescribeCertificate(t.Context(), &acm.DescribeCertificateInput{CertificateArn: aws.String(tt.arn)})
			wantAPIError(t, err, tt.code)
			_, err = env.ACM.DeleteCertificate(t.Context(), &acm.DeleteCertificateInput{CertificateArn: aws.String(tt.arn)})
			wantAPIError(t, err, tt.code)
		})
	}
}

func TestACMDeleteCertificateInUse(t *testing.T) {
	env := newTestEnv(t)
	arn := requestCert(t, env, "example.com")
	env.Server.Clock().Advance(2 * time.Minute) // the default validation delay
	lb := "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123456789abcdef"
	inWorld(env.Server, func(w *world) { w.markCertificateInUse(arn, lb) })

	cert := describeCert(t, env, arn)
	if !slices.Equal(cert.InUseBy, []string{lb}) || cert.RenewalEligibility != acmtypes.RenewalEligibilityEligible {
		t.Errorf("InUseBy %v eligibility %s, want [%s] ELIGIBLE", cert.InUseBy, cert.RenewalEligibility, lb)
	}
	_, err := env.ACM.DeleteCertificate(t.Context(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	wantAPIError(t, err, "ResourceInUseException")

	inWorld(env.Server, func(w *world) { w.releaseCertificate(arn, lb) })
	if _, err := env.ACM.DeleteCertificate(t.Context(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteCertificate once released: %v", err)
	}
	_, err = env.ACM.DescribeCertificate(t.Context(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	wantAPIError(t, err, "ResourceNotFoundException")
}

func TestACMListCertificates(t *testing.T) {
	env := newTestEnvWith(t, Options{CertificateValidationDelay: time.Minute})
	var rsa2048 []string
	for _, d := range []string{"a.example.com", "b.example.com", "c.example.com"} {
		rsa2048 = append(rsa2048, requestCert(t, env, d))
		env.Server.Clock().Advance(time.Second) // distinct CreatedAt
	}
	env.Server.Clock().Advance(time.Minute) // the first three are issued
	rsa2048 = append(rsa2048, requestCert(t, env, "d.example.com"))
	big, err := env.ACM.RequestCertificate(t.Context(), &acm.RequestCertificateInput{
		DomainName: aws.String("e.example.com"), ValidationMethod: acmtypes.ValidationMethodDns, KeyAlgorithm: acmtypes.KeyAlgorithmRsa4096,
	})
	if err != nil {
		t.Fatal(err)
	}

	list := func(in *acm.ListCertificatesInput) []string {
		t.Helper()
		var arns []string
		pages := acm.NewListCertificatesPaginator(env.ACM, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(t.Context())
			if err != nil {
				t.Fatalf("ListCertificates: %v", err)
			}
			if in.MaxItems != nil && len(page.CertificateSummaryList) > int(*in.MaxItems) {
				t.Fatalf("page of %d, MaxItems %d", len(page.CertificateSummaryList), *in.MaxItems)
			}
			for _, s := range page.CertificateSummaryList {
				arns = append(arns, aws.ToString(s.CertificateArn))
			}
		}
		return arns
	}
	tests := []struct {
		name string
		in   acm.ListCertificatesInput
		want []string
	}{
		{"default lists RSA_2048 only, oldest first, in pages", acm.ListCertificatesInput{MaxItems: aws.Int32(2)}, rsa2048},
		{"status filter", acm.ListCertificatesInput{CertificateStatuses: []acmtypes.CertificateStatus{acmtypes.CertificateStatusPendingValidation}}, rsa2048[3:]},
		{"newest first", acm.ListCertificatesInput{SortBy: acmtypes.SortByCreatedAt, SortOrder: acmtypes.SortOrderDescending, MaxItems: aws.Int32(3)},
			[]string{rsa2048[3], rsa2048[2], rsa2048[1], rsa2048[0]}},
		{"key type filter", acm.ListCertificatesInput{Includes: &acmtypes.Filters{KeyTypes: []acmtypes.KeyAlgorithm{acmtypes.KeyAlgorithmRsa4096}}}, []string{aws.ToString(big.CertificateArn)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(&tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	_, err = env.ACM.ListCertificates(t.Context(), &acm.ListCertificatesInput{CertificateStatuses: []acmtypes.CertificateStatus{"DONE"}})
	wantAPIError(t, err, "ValidationException")
}
