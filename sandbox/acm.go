package sandbox

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ACM certificate statuses and validation statuses (docs/aws-api.md §6.4, §6.6).
const (
	certPendingValidation = "PENDING_VALIDATION"
	certIssued            = "ISSUED"
	validationSuccess     = "SUCCESS"
)

// acmRecordDelay is how long after RequestCertificate the DNS validation
// records stay absent from DescribeCertificate, as on AWS (docs/aws-api.md §6.4).
const acmRecordDelay = 5 * time.Second

// acmIdempotencyWindow is how long an IdempotencyToken maps to the
// certificate it first requested (docs/aws-api.md §6.3).
const acmIdempotencyWindow = time.Hour

// acmState is the ACM part of a region.
type acmState struct {
	Certificates map[string]*certificate // by ARN
	// Tokens maps an IdempotencyToken to the request it first made.
	Tokens map[string]idempotentRequest
}

// idempotentRequest is a RequestCertificate remembered by its token.
type idempotentRequest struct {
	ARN string
	At  time.Time
}

// certificate is one Amazon-issued certificate. Its lifecycle is driven by
// two stored times (RecordsAt, IssueAt) so that a loaded snapshot can
// reschedule what is still pending.
type certificate struct {
	ARN                     string
	DomainName              string
	SubjectAlternativeNames []string // DomainName first
	ValidationMethod        string   // DNS | EMAIL
	KeyAlgorithm            string   // model enum, e.g. RSA_2048
	TransparencyLogging     string   // ENABLED | DISABLED
	Status                  string
	CreatedAt               time.Time
	RecordsAt               time.Time // validation records become visible
	IssueAt                 time.Time // validation succeeds
	IssuedAt                time.Time
	NotBefore               time.Time
	NotAfter                time.Time
	Serial                  string
	Validations             []domainValidation
	InUseBy                 []string
	Tags                    []acmTag
}

// domainValidation is the validation of one name on a certificate.
type domainValidation struct {
	DomainName       string
	ValidationDomain string
	RecordName       string // _<32 hex>.<domain>.
	RecordValue      string // _<32 hex>.<label>.acm-validations.aws.
	// Status is empty until the records are published (AWS omits
	// ValidationStatus and ResourceRecord for the first seconds).
	Status string
}

// acmTag is a certificate tag.
type acmTag struct {
	Key   string
	Value *string `json:",omitempty"`
}

// add stores a new certificate and its idempotency token, forgetting
// tokens past their hour; the zero acmState is ready to use.
func (st *acmState) add(cert *certificate, token string, now time.Time) {
	if st.Certificates == nil {
		st.Certificates = map[string]*certificate{}
		st.Tokens = map[string]idempotentRequest{}
	}
	st.Certificates[cert.ARN] = cert
	for t, req := range st.Tokens {
		if now.Sub(req.At) >= acmIdempotencyWindow {
			delete(st.Tokens, t)
		}
	}
	if token != "" {
		st.Tokens[token] = idempotentRequest{ARN: cert.ARN, At: now}
	}
}

// registerACM adds the ACM operations to s.
func (s *Server) registerACM() {
	s.jsonOps[acmTargetPrefix+"RequestCertificate"] = s.acmRequestCertificate
	s.jsonOps[acmTargetPrefix+"DescribeCertificate"] = acmDescribeCertificate
	s.jsonOps[acmTargetPrefix+"ListCertificates"] = acmListCertificates
	s.jsonOps[acmTargetPrefix+"DeleteCertificate"] = acmDeleteCertificate
	s.jsonOps[acmTargetPrefix+"ListTagsForCertificate"] = acmListTagsForCertificate
	s.jsonOps[acmTargetPrefix+"AddTagsToCertificate"] = acmAddTagsToCertificate
}

// decodeJSONInput unmarshals an awsJson1_1 request body into v; a body
// that does not fit the input shape is a SerializationException, as on AWS.
func decodeJSONInput(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return clientErr("SerializationException", "%s", err.Error())
	}
	return nil
}

// constraintMessage is AWS's standard wording for a model constraint failure.
func constraintMessage(value any, member, constraint string) string {
	return fmt.Sprintf("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

// acmDomainPattern is the model's DomainNameString pattern, quoted in messages.
const acmDomainPattern = `^(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$`

// validDomainName checks the DomainNameString pattern by hand: Go's regexp
// has no lookahead. Labels are 1–63 characters of letters, digits and
// hyphens, not starting with a hyphen, ending with a letter or digit; the
// last label has at least two characters; "*." may prefix the name.
func validDomainName(name string) bool {
	if len(name) < 1 || len(name) > 253 {
		return false
	}
	labels := strings.Split(strings.TrimPrefix(name, "*."), ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		minLen := 1
		if i == len(labels)-1 {
			minLen = 2
		}
		if len(l) < minLen || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

var (
	acmARNPattern        = regexp.MustCompile(`^arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*$`)
	acmIdempotencyFormat = regexp.MustCompile(`^\w{1,32}$`)
	acmKeyAlgorithms     = []string{"RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"}
	acmStatuses          = []string{"PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "VALIDATION_TIMED_OUT", "REVOKED", "FAILED"}
)

// acmMaxDomainNames is ACM's default quota of names per certificate.
const acmMaxDomainNames = 10

type requestCertificateInput struct {
	DomainName              string
	ValidationMethod        string
	SubjectAlternativeNames []string
	IdempotencyToken        string
	KeyAlgorithm            string
	Options                 struct{ CertificateTransparencyLoggingPreference string }
	Tags                    []acmTag
}

func (in *requestCertificateInput) validate() error {
	if !validDomainName(in.DomainName) {
		return clientErr("ValidationException", "%s", constraintMessage(in.DomainName, "domainName", "Member must satisfy regular expression pattern: "+acmDomainPattern))
	}
	if len(in.DomainName) > 64 {
		// The first name becomes the certificate's Common Name (RFC 5280).
		return clientErr("ValidationException", "The first domain name can be no longer than 64 characters.")
	}
	if in.SubjectAlternativeNames != nil && (len(in.SubjectAlternativeNames) < 1 || len(in.SubjectAlternativeNames) > 100) {
		return clientErr("ValidationException", "%s", constraintMessage(in.SubjectAlternativeNames, "subjectAlternativeNames", "Member must have length less than or equal to 100, Member must have length greater than or equal to 1"))
	}
	for i, san := range in.SubjectAlternativeNames {
		if !validDomainName(san) {
			return clientErr("ValidationException", "%s", constraintMessage(san, fmt.Sprintf("subjectAlternativeNames.%d.member", i+1), "Member must satisfy regular expression pattern: "+acmDomainPattern))
		}
	}
	if in.ValidationMethod != "" && in.ValidationMethod != "DNS" && in.ValidationMethod != "EMAIL" {
		return clientErr("ValidationException", "%s", constraintMessage(in.ValidationMethod, "validationMethod", "Member must satisfy enum value set: [EMAIL, DNS]"))
	}
	if in.IdempotencyToken != "" && !acmIdempotencyFormat.MatchString(in.IdempotencyToken) {
		return clientErr("ValidationException", "%s", constraintMessage(in.IdempotencyToken, "idempotencyToken", `Member must satisfy regular expression pattern: \w+`))
	}
	if in.KeyAlgorithm != "" && !slices.Contains(acmKeyAlgorithms, in.KeyAlgorithm) {
		return clientErr("ValidationException", "%s", constraintMessage(in.KeyAlgorithm, "keyAlgorithm", "Member must satisfy enum value set: ["+strings.Join(acmKeyAlgorithms, ", ")+"]"))
	}
	if p := in.Options.CertificateTransparencyLoggingPreference; p != "" && p != "ENABLED" && p != "DISABLED" {
		return clientErr("ValidationException", "%s", constraintMessage(p, "options.certificateTransparencyLoggingPreference", "Member must satisfy enum value set: [ENABLED, DISABLED]"))
	}
	for _, t := range in.Tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || t.Value != nil && len(*t.Value) > 256 {
			return clientErr("InvalidTagException", "The tag %q is not valid.", t.Key)
		}
	}
	if len(in.Tags) > 50 {
		return clientErr("TooManyTagsException", "The request contains too many tags. Try the request again with fewer tags.")
	}
	return nil
}

// names is DomainName followed by the other requested names, deduplicated:
// AWS always includes the DomainName in the certificate's SANs.
func (in *requestCertificateInput) names() []string {
	names := []string{in.DomainName}
	for _, san := range in.SubjectAlternativeNames {
		if !slices.Contains(names, san) {
			names = append(names, san)
		}
	}
	return names
}

// acmRequestCertificate starts a certificate in PENDING_VALIDATION; its
// validation records appear after acmRecordDelay and it is issued after
// Options.CertificateValidationDelay (simulated).
func (s *Server) acmRequestCertificate(c *call, body []byte) (any, error) {
	var in requestCertificateInput
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	names := in.names()
	if len(names) > acmMaxDomainNames {
		return nil, clientErr("LimitExceededException", "Cannot request a certificate with more than %d domain names.", acmMaxDomainNames)
	}
	st := c.w.acm
	if prev, ok := st.Tokens[in.IdempotencyToken]; ok && in.IdempotencyToken != "" && c.now.Sub(prev.At) < acmIdempotencyWindow {
		if _, exists := st.Certificates[prev.ARN]; exists {
			return map[string]string{"CertificateArn": prev.ARN}, nil
		}
	}
	cert := newCertificate(c.w, &in, names, c.now, s.opts.CertificateValidationDelay)
	st.add(cert, in.IdempotencyToken, c.now)
	st.schedule(c.w, cert)
	return map[string]string{"CertificateArn": cert.ARN}, nil
}

// newCertificate builds a pending certificate with one validation per name.
// Each certificate gets its own random records; a wildcard shares the record
// of its base domain, as on AWS (docs/aws-api.md §6.5).
func newCertificate(w *world, in *requestCertificateInput, names []string, now time.Time, delay time.Duration) *certificate {
	cert := &certificate{
		ARN:                     fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", w.region, w.account, newUUID()),
		DomainName:              in.DomainName,
		SubjectAlternativeNames: names,
		ValidationMethod:        cmp.Or(in.ValidationMethod, "EMAIL"),
		KeyAlgorithm:            cmp.Or(in.KeyAlgorithm, "RSA_2048"),
		TransparencyLogging:     cmp.Or(in.Options.CertificateTransparencyLoggingPreference, "ENABLED"),
		Status:                  certPendingValidation,
		CreatedAt:               now,
		RecordsAt:               now.Add(min(acmRecordDelay, delay/2)),
		IssueAt:                 now.Add(delay),
		Tags:                    in.Tags,
	}
	records := map[string]resourceRecord{} // by base domain
	for _, name := range names {
		base := strings.TrimPrefix(name, "*.")
		rec, ok := records[base]
		if !ok {
			rec = resourceRecord{
				Name:  "_" + randomHex(32) + "." + base + ".",
				Type:  "CNAME",
				Value: "_" + randomHex(32) + "." + randomLetters(10) + ".acm-validations.aws.",
			}
			records[base] = rec
		}
		cert.Validations = append(cert.Validations, domainValidation{
			DomainName: name, ValidationDomain: name, RecordName: rec.Name, RecordValue: rec.Value,
		})
	}
	return cert
}

// randomLetters returns n random lowercase letters (the middle label of a
// current ACM validation record value).
func randomLetters(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return string(b)
}

// schedule queues the certificate's pending lifecycle steps. It is also how
// a loaded snapshot resumes certificates that were still pending.
func (st *acmState) schedule(w *world, cert *certificate) {
	arn := cert.ARN
	if !cert.recordsPublished() {
		w.at(cert.RecordsAt, func(time.Time) {
			if c, ok := st.Certificates[arn]; ok {
				c.publishRecords()
			}
		})
	}
	if cert.Status == certPendingValidation {
		w.at(cert.IssueAt, func(now time.Time) {
			if c, ok := st.Certificates[arn]; ok {
				c.issue(now)
			}
		})
	}
}

// restore reschedules the lifecycle of certificates loaded from a snapshot.
func (st *acmState) restore(w *world) {
	for _, cert := range st.Certificates {
		st.schedule(w, cert)
	}
}

func (c *certificate) recordsPublished() bool {
	return len(c.Validations) == 0 || c.Validations[0].Status != ""
}

// publishRecords makes the validation records visible.
func (c *certificate) publishRecords() {
	for i := range c.Validations {
		if c.Validations[i].Status == "" {
			c.Validations[i].Status = certPendingValidation
		}
	}
}

// issue completes validation: what ACM does once it sees the CNAME records.
func (c *certificate) issue(now time.Time) {
	if c.Status != certPendingValidation {
		return
	}
	c.publishRecords()
	for i := range c.Validations {
		c.Validations[i].Status = validationSuccess
	}
	c.Status = certIssued
	c.IssuedAt = now
	c.NotBefore = now.Truncate(time.Second)
	c.NotAfter = c.NotBefore.AddDate(0, 13, 0)
	c.Serial = serialNumber()
}

// serialNumber is a certificate serial as ACM shows it: colon-separated hex bytes.
func serialNumber() string {
	h := randomHex(32)
	parts := make([]string, 0, 16)
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// lookupCertificate resolves a CertificateArn: malformed → InvalidArnException,
// unknown → ResourceNotFoundException (docs/aws-api.md §6.2).
func (st *acmState) lookupCertificate(arn string) (*certificate, error) {
	if len(arn) < 20 || len(arn) > 2048 || !acmARNPattern.MatchString(arn) {
		return nil, clientErr("InvalidArnException", "String '%s' is not a valid ARN.", arn)
	}
	cert, ok := st.Certificates[arn]
	if !ok {
		return nil, clientErr("ResourceNotFoundException", "Could not find certificate %s.", arn)
	}
	return cert, nil
}

// certificateDetail is the DescribeCertificate wire shape.
type certificateDetail struct {
	CertificateArn          string
	DomainName              string
	SubjectAlternativeNames []string
	DomainValidationOptions []domainValidationOut
	Serial                  string        `json:",omitempty"`
	Subject                 string        `json:",omitempty"`
	Issuer                  string        `json:",omitempty"`
	CreatedAt               epochSeconds  `json:",omitzero"`
	IssuedAt                *epochSeconds `json:",omitempty"`
	NotBefore               *epochSeconds `json:",omitempty"`
	NotAfter                *epochSeconds `json:",omitempty"`
	Status                  string
	KeyAlgorithm            string
	SignatureAlgorithm      string
	InUseBy                 []string
	Type                    string
	KeyUsages               []map[string]string `json:",omitempty"`
	ExtendedKeyUsages       []map[string]string `json:",omitempty"`
	RenewalEligibility      string
	Options                 map[string]string
}

type domainValidationOut struct {
	DomainName       string
	ValidationDomain string
	ValidationMethod string
	ValidationStatus string          `json:",omitempty"`
	ResourceRecord   *resourceRecord `json:",omitempty"`
	ValidationEmails []string        `json:",omitempty"`
}

type resourceRecord struct {
	Name  string
	Type  string
	Value string
}

// wireKeyAlgorithm is the key algorithm as AWS prints it in certificate
// details ("RSA-2048"); the request enum spells it "RSA_2048".
func wireKeyAlgorithm(enum string) string { return strings.Replace(enum, "_", "-", 1) }

// optionalTime is nil for the zero time, so the member is omitted.
func optionalTime(t time.Time) *epochSeconds {
	if t.IsZero() {
		return nil
	}
	e := epochSeconds(t)
	return &e
}

func (c *certificate) detail() certificateDetail {
	d := certificateDetail{
		CertificateArn:          c.ARN,
		DomainName:              c.DomainName,
		SubjectAlternativeNames: c.SubjectAlternativeNames,
		Subject:                 "CN=" + c.DomainName,
		CreatedAt:               epochSeconds(c.CreatedAt),
		Status:                  c.Status,
		KeyAlgorithm:            wireKeyAlgorithm(c.KeyAlgorithm),
		SignatureAlgorithm:      "SHA256WITHRSA",
		InUseBy:                 append([]string{}, c.InUseBy...),
		Type:                    "AMAZON_ISSUED",
		RenewalEligibility:      "INELIGIBLE",
		Options:                 map[string]string{"CertificateTransparencyLoggingPreference": c.TransparencyLogging},
	}
	for _, v := range c.Validations {
		d.DomainValidationOptions = append(d.DomainValidationOptions, v.wire(c.ValidationMethod))
	}
	if c.Status == certIssued {
		d.Serial = c.Serial
		d.Issuer = "Amazon"
		d.IssuedAt = optionalTime(c.IssuedAt)
		d.NotBefore = optionalTime(c.NotBefore)
		d.NotAfter = optionalTime(c.NotAfter)
		d.KeyUsages = []map[string]string{{"Name": "DIGITAL_SIGNATURE"}, {"Name": "KEY_ENCIPHERMENT"}}
		d.ExtendedKeyUsages = []map[string]string{
			{"Name": "TLS_WEB_SERVER_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.1"},
			{"Name": "TLS_WEB_CLIENT_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.2"},
		}
		if len(c.InUseBy) > 0 {
			d.RenewalEligibility = "ELIGIBLE"
		}
	}
	return d
}

// wire renders one validation; before the records are published only the
// name and method are present, as on AWS.
func (v domainValidation) wire(method string) domainValidationOut {
	out := domainValidationOut{DomainName: v.DomainName, ValidationDomain: v.ValidationDomain, ValidationMethod: method}
	if v.Status == "" {
		return out
	}
	out.ValidationStatus = v.Status
	if method == "DNS" {
		out.ResourceRecord = &resourceRecord{Name: v.RecordName, Type: "CNAME", Value: v.RecordValue}
		return out
	}
	base := strings.TrimPrefix(v.ValidationDomain, "*.")
	for _, box := range []string{"admin", "administrator", "hostmaster", "postmaster", "webmaster"} {
		out.ValidationEmails = append(out.ValidationEmails, box+"@"+base)
	}
	return out
}

// namedCertificate decodes a request naming one certificate and finds it.
func namedCertificate(c *call, body []byte) (*certificate, error) {
	var in struct{ CertificateArn string }
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	return c.w.acm.lookupCertificate(in.CertificateArn)
}

func acmDescribeCertificate(c *call, body []byte) (any, error) {
	cert, err := namedCertificate(c, body)
	if err != nil {
		return nil, err
	}
	return map[string]certificateDetail{"Certificate": cert.detail()}, nil
}

// acmListTagsForCertificate returns the certificate's tags.
func acmListTagsForCertificate(c *call, body []byte) (any, error) {
	cert, err := namedCertificate(c, body)
	if err != nil {
		return nil, err
	}
	return map[string][]acmTag{"Tags": append([]acmTag{}, cert.Tags...)}, nil
}

// acmAddTagsToCertificate adds tags, replacing the value of a key already
// there (at most 50 tags in all).
func acmAddTagsToCertificate(c *call, body []byte) (any, error) {
	var in struct {
		CertificateArn string
		Tags           []acmTag
	}
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	cert, err := c.w.acm.lookupCertificate(in.CertificateArn)
	if err != nil {
		return nil, err
	}
	tags := append([]acmTag{}, cert.Tags...)
	for _, t := range in.Tags {
		if i := slices.IndexFunc(tags, func(x acmTag) bool { return x.Key == t.Key }); i >= 0 {
			tags[i] = t
		} else {
			tags = append(tags, t)
		}
	}
	if len(tags) > 50 {
		return nil, clientErr("TooManyTagsException", "The request contains too many tags. Try the request again with fewer tags.")
	}
	cert.Tags = tags
	return nil, nil
}

func acmDeleteCertificate(c *call, body []byte) (any, error) {
	cert, err := namedCertificate(c, body)
	if err != nil {
		return nil, err
	}
	if len(cert.InUseBy) > 0 {
		return nil, clientErr("ResourceInUseException", "Certificate %s in account %s is in use.", cert.ARN, c.w.account)
	}
	delete(c.w.acm.Certificates, cert.ARN)
	return nil, nil
}

type listCertificatesInput struct {
	CertificateStatuses []string
	Includes            struct{ KeyTypes []string }
	NextToken           string
	MaxItems            *int
	SortBy              string
	SortOrder           string
}

func (in *listCertificatesInput) validate() error {
	for i, st := range in.CertificateStatuses {
		if !slices.Contains(acmStatuses, st) {
			return clientErr("ValidationException", "%s", constraintMessage(st, fmt.Sprintf("certificateStatuses.%d.member", i+1), "Member must satisfy enum value set: ["+strings.Join(acmStatuses, ", ")+"]"))
		}
	}
	if in.MaxItems != nil && (*in.MaxItems < 1 || *in.MaxItems > 1000) {
		return clientErr("ValidationException", "%s", constraintMessage(*in.MaxItems, "maxItems", "Member must have value between 1 and 1000"))
	}
	if in.SortBy != "" && in.SortBy != "CREATED_AT" {
		return clientErr("ValidationException", "%s", constraintMessage(in.SortBy, "sortBy", "Member must satisfy enum value set: [CREATED_AT]"))
	}
	if in.SortOrder != "" && in.SortOrder != "ASCENDING" && in.SortOrder != "DESCENDING" {
		return clientErr("ValidationException", "%s", constraintMessage(in.SortOrder, "sortOrder", "Member must satisfy enum value set: [ASCENDING, DESCENDING]"))
	}
	return nil
}

// matches applies the status filter and the key-type filter, which by
// default admits only RSA_2048 (docs/aws-api.md §6.7).
func (in *listCertificatesInput) matches(c *certificate) bool {
	if len(in.CertificateStatuses) > 0 && !slices.Contains(in.CertificateStatuses, c.Status) {
		return false
	}
	keyTypes := in.Includes.KeyTypes
	if len(keyTypes) == 0 {
		keyTypes = []string{"RSA_2048"}
	}
	return slices.Contains(keyTypes, c.KeyAlgorithm)
}

// certificateSummary is the ListCertificates wire shape of one certificate.
type certificateSummary struct {
	CertificateArn                       string
	DomainName                           string
	SubjectAlternativeNameSummaries      []string
	HasAdditionalSubjectAlternativeNames bool
	Status                               string
	Type                                 string
	KeyAlgorithm                         string
	InUse                                bool
	Exported                             bool
	RenewalEligibility                   string
	CreatedAt                            epochSeconds
	IssuedAt                             *epochSeconds `json:",omitempty"`
	NotBefore                            *epochSeconds `json:",omitempty"`
	NotAfter                             *epochSeconds `json:",omitempty"`
}

func (c *certificate) summary() certificateSummary {
	d := c.detail()
	return certificateSummary{
		CertificateArn:                  c.ARN,
		DomainName:                      c.DomainName,
		SubjectAlternativeNameSummaries: c.SubjectAlternativeNames,
		Status:                          c.Status,
		Type:                            d.Type,
		KeyAlgorithm:                    d.KeyAlgorithm,
		InUse:                           len(c.InUseBy) > 0,
		RenewalEligibility:              d.RenewalEligibility,
		CreatedAt:                       d.CreatedAt,
		IssuedAt:                        d.IssuedAt,
		NotBefore:                       d.NotBefore,
		NotAfter:                        d.NotAfter,
	}
}

// pageSize is the requested page size, or def when none was given.
func pageSize(requested *int, def int) int {
	if requested == nil {
		return def
	}
	return *requested
}

// certOrderKey orders certificates by creation, ties broken by ARN; it is
// also the pagination token, so a page boundary survives deletions.
func certOrderKey(c *certificate) string {
	return fmt.Sprintf("%020d/%s", c.CreatedAt.UnixNano(), c.ARN)
}

func acmListCertificates(c *call, body []byte) (any, error) {
	var in listCertificatesInput
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	after := ""
	if in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil {
			return nil, clientErr("InvalidArgsException", "The NextToken is not valid.")
		}
		after = string(raw)
	}
	descending := in.SortOrder == "DESCENDING"
	// pending reports whether a certificate comes after the token's page.
	pending := func(key string) bool {
		return after == "" || !descending && key > after || descending && key < after
	}
	var certs []*certificate
	for _, cert := range c.w.acm.Certificates {
		if in.matches(cert) && pending(certOrderKey(cert)) {
			certs = append(certs, cert)
		}
	}
	slices.SortFunc(certs, func(a, b *certificate) int {
		if descending {
			a, b = b, a
		}
		return strings.Compare(certOrderKey(a), certOrderKey(b))
	})
	out := struct {
		CertificateSummaryList []certificateSummary
		NextToken              string `json:",omitempty"`
	}{CertificateSummaryList: []certificateSummary{}}
	if limit := pageSize(in.MaxItems, 1000); len(certs) > limit {
		certs = certs[:limit]
		out.NextToken = pageToken(certOrderKey(certs[limit-1]))
	}
	for _, cert := range certs {
		out.CertificateSummaryList = append(out.CertificateSummaryList, cert.summary())
	}
	return out, nil
}
