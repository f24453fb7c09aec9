// Package notify sends deployment events to webhooks: signed HTTP
// requests, delivered by durable River jobs written in the transaction of
// the change they announce. It imports store, never handlers.
package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Headers of every delivery.
const (
	// SignatureHeader is "t=<unix seconds>,v1=<hex HMAC-SHA256 of t + "." + body>".
	SignatureHeader = "X-Ecsconsole-Signature"
	// DeliveryHeader is the delivery's id, the same for every attempt:
	// the idempotency key a receiver dedupes on.
	DeliveryHeader = "X-Ecsconsole-Delivery"
	// EventHeader names the event.
	EventHeader = "X-Ecsconsole-Event"
)

// Sign is the SignatureHeader value for body sent at t with secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a SignatureHeader value against body and secret, and that
// it was made within tolerance of now (replays of old requests fail). It
// is what a receiver written in Go would do; the README has it in shell.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(mac(secret, ts, body)))
}
