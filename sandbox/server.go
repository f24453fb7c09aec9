package sandbox

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// New returns a Server seeded with the account, the region's default VPC,
// subnets, security group and execution role.
func New(opts Options) *Server {
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.CertificateValidationDelay <= 0 {
		opts.CertificateValidationDelay = 2 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:     opts,
		clock:    NewClock(time.Now().UTC(), opts.Speed),
		faults:   newFaults(),
		regions:  map[string]*world{},
		jsonOps:  map[string]jsonOp{},
		queryOps: map[string]queryOp{},
	}
	s.registerECS()
	s.registerELB()
	s.registerEC2()
	s.registerACM()
	s.registerSTS()
	s.registerIAM()
	s.registerLogs()
	s.mu.Lock()
	s.worldFor(opts.Region)
	s.mu.Unlock()
	return s
}

// Clock is the server's simulated clock; tests advance it by hand.
func (s *Server) Clock() *Clock { return s.clock }

// AccountID is the account in every ARN.
func (s *Server) AccountID() string { return s.opts.AccountID }

// worldFor returns the region's world, seeding it on first use. s.mu held.
func (s *Server) worldFor(region string) *world {
	w, ok := s.regions[region]
	if !ok {
		w = newWorld(s.opts.AccountID, region, s.clock.Now(), s.opts)
		s.regions[region] = w
	}
	return w
}

// JSON target prefixes (docs/aws-api.md §1.1).
const (
	ecsTargetPrefix  = "AmazonEC2ContainerServiceV20141113."
	acmTargetPrefix  = "CertificateManager."
	logsTargetPrefix = "Logs_20140328."
)

// Query API versions (docs/aws-api.md §1.1).
const (
	elbVersion = "2015-12-01"
	ec2Version = "2016-11-15"
	stsVersion = "2011-06-15"
)

// maxBody bounds request bodies; real AWS requests in scope are far smaller.
const maxBody = 4 << 20

func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	requestID := newUUID()
	rw.Header().Set("x-amzn-RequestId", requestID)
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.serveControl(rw, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(rw, "sandbox: AWS APIs are POST /", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(rw, "sandbox: reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	region := regionFromAuth(r.Header.Get("Authorization"), s.opts.Region)

	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveJSON(rw, r, target, region, requestID, body)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(rw, "sandbox: malformed form body", http.StatusBadRequest)
		return
	}
	s.serveQuery(rw, r, form, region, requestID)
}

// serveJSON handles the awsJson1_1 services (ECS, ACM, Logs).
func (s *Server) serveJSON(rw http.ResponseWriter, r *http.Request, target, region, requestID string, body []byte) {
	op, ok := s.jsonOps[target]
	name := target[strings.LastIndex(target, ".")+1:]
	service := serviceOfTarget(target)
	var out any
	var err error
	if !ok {
		err = &apiError{Status: 400, Code: "UnknownOperationException", Message: ""}
	} else if len(body) > 0 && !json.Valid(body) {
		err = &apiError{Status: 400, Code: "SerializationException", Message: "Start of structure or map found where not expected."}
	} else {
		out, err = s.invoke(r, service, name, region, requestID, func(c *call) (any, error) { return op(c, body) })
	}
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var ae *apiError
	if err != nil {
		if !errors.As(err, &ae) {
			ae = &apiError{Status: 500, Code: "ServerException", Message: err.Error()}
		}
		rw.Header().Set("X-Amzn-ErrorType", ae.Code)
		rw.WriteHeader(ae.Status)
		json.NewEncoder(rw).Encode(map[string]string{"__type": ae.Code, "message": ae.Message})
		return
	}
	if out == nil {
		out = struct{}{}
	}
	buf, merr := json.Marshal(out)
	if merr != nil {
		rw.WriteHeader(500)
		json.NewEncoder(rw).Encode(map[string]string{"__type": "ServerException", "message": merr.Error()})
		return
	}
	rw.WriteHeader(200)
	rw.Write(buf)
}

func serviceOfTarget(target string) string {
	switch {
	case strings.HasPrefix(target, ecsTargetPrefix):
		return "ecs"
	case strings.HasPrefix(target, acmTargetPrefix):
		return "acm"
	case strings.HasPrefix(target, logsTargetPrefix):
		return "logs"
	}
	return "unknown"
}

// invoke runs one operation under the lock with the world advanced to now,
// after the injected latency and faults have had their say.
func (s *Server) invoke(r *http.Request, service, op, region, requestID string, fn func(c *call) (any, error)) (any, error) {
	if err := s.faults.before(r.Context(), service, op); err != nil {
		s.opts.Logger.Info("sandbox call", "service", service, "op", op, "region", region, "error", err.Code, "injected", true)
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.worldFor(region)
	now := s.clock.Now()
	w.advance(now)
	out, err := fn(&call{w: w, now: now, requestID: requestID, op: op})
	if err != nil {
		s.opts.Logger.Info("sandbox call", "service", service, "op", op, "region", region, "error", err.Error())
	} else {
		s.opts.Logger.Debug("sandbox call", "service", service, "op", op, "region", region)
	}
	return out, err
}

var credentialScope = regexp.MustCompile(`Credential=[^/,]+/\d{8}/([a-z0-9-]+)/`)

// regionFromAuth reads the region from the SigV4 credential scope
// (signatures are accepted unverified).
func regionFromAuth(auth, fallback string) string {
	if m := credentialScope.FindStringSubmatch(auth); m != nil {
		return m[1]
	}
	return fallback
}

// epochSeconds is a timestamp as awsJson1_1 sends it: a JSON number of
// seconds since the epoch, with milliseconds.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

func (t *epochSeconds) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp must be a number: %w", err)
	}
	*t = epochSeconds(time.UnixMilli(int64(f * 1000)).UTC())
	return nil
}

// newUUID returns a random RFC 4122 version 4 UUID, the shape of AWS request ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// randomHex returns n random lowercase hex digits.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return fmt.Sprintf("%x", b)[:n]
}
