package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Delivery defaults (SPEC §15): a command waits at most Limit for every
// webhook together, whatever they do.
const (
	AttemptTimeout = 5 * time.Second
	Attempts       = 3
	Backoff        = 500 * time.Millisecond // before the second attempt; doubled after
	Limit          = 10 * time.Second
)

// Formats of a webhook's body.
const (
	FormatJSON  = "json"
	FormatSlack = "slack"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body
// under the hook's secret.
const SignatureHeader = "X-Octorelease-Signature"

// EventHeader names the payload's event, so that a receiver can route
// without parsing the body.
const EventHeader = "X-Octorelease-Event"

// Hook is one webhook, its URL and secret already taken from the
// environment.
type Hook struct {
	Name   string   // the url_env variable: names the hook in errors, which never show the URL
	URL    string   // a secret: the path of a Slack webhook is its credential
	Format string   // FormatJSON or FormatSlack
	On     []string // the events it wants; empty for all
	Secret string   // HMAC key; "" for no signature
}

// Sender delivers payloads. The zero value uses the defaults above.
type Sender struct {
	Client         *http.Client // nil: a client of its own that follows no redirect
	AttemptTimeout time.Duration
	Attempts       int
	Backoff        time.Duration
	Limit          time.Duration
	UserAgent      string
}

// Failure is a hook that did not get every payload it wanted.
type Failure struct {
	Hook string // Hook.Name
	Err  error  // says what happened without the URL
}

func (f Failure) Error() string { return "webhook " + f.Hook + ": " + f.Err.Error() }

// Send posts each hook the payloads it wants, in order; hooks are served
// concurrently and Send returns when all are done or the limit is reached,
// having waited for every goroutine it started. A hook stops at its first
// payload that fails. Failures are returned in the order of hooks.
func (s Sender) Send(ctx context.Context, hooks []Hook, payloads []Payload) []Failure {
	s = s.withDefaults()
	client := s.Client
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections() // no keep-alive goroutine outlives Send
		client = &http.Client{Transport: tr, CheckRedirect: noRedirect}
	}
	ctx, cancel := context.WithTimeout(ctx, s.Limit)
	defer cancel()
	errs := make([]error, len(hooks))
	var wg sync.WaitGroup
	for i, h := range hooks {
		wg.Go(func() { errs[i] = s.sendHook(ctx, client, h, payloads) })
	}
	wg.Wait()
	var out []Failure
	for i, err := range errs {
		if err != nil {
			out = append(out, Failure{Hook: hooks[i].Name, Err: err})
		}
	}
	return out
}

func (s Sender) withDefaults() Sender {
	if s.AttemptTimeout <= 0 {
		s.AttemptTimeout = AttemptTimeout
	}
	if s.Attempts <= 0 {
		s.Attempts = Attempts
	}
	if s.Backoff <= 0 {
		s.Backoff = Backoff
	}
	if s.Limit <= 0 {
		s.Limit = Limit
	}
	if s.UserAgent == "" {
		s.UserAgent = "octorelease"
	}
	return s
}

// noRedirect refuses every redirect: the URL is a credential, and a 3xx
// from the webhook's host is not a delivery. The 3xx is then a failure.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (s Sender) sendHook(ctx context.Context, client *http.Client, h Hook, payloads []Payload) error {
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("the variable does not hold an http(s) URL")
	}
	var want []Payload
	for _, p := range payloads {
		if len(h.On) == 0 || slices.Contains(h.On, p.Event) {
			want = append(want, p)
		}
	}
	for i, p := range want {
		body, err := Body(h.Format, p)
		if err != nil {
			return err
		}
		if err := s.post(ctx, client, h, u, p.Event, body); err != nil {
			if left := len(want) - i; left > 1 {
				return fmt.Errorf("%s: %w (%d events not sent)", p.Event, err, left)
			}
			return fmt.Errorf("%s: %w", p.Event, err)
		}
	}
	return nil
}

// Body encodes p in a hook's format.
func Body(format string, p Payload) ([]byte, error) {
	var v any = p
	if format == FormatSlack {
		v = Slack(p)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Sign is the value of SignatureHeader for body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// post sends one body, retrying network errors, 429 and 5xx with a
// doubling backoff, until an attempt succeeds, Attempts are spent or ctx
// (the overall limit) ends.
func (s Sender) post(ctx context.Context, client *http.Client, h Hook, u *url.URL, event string, body []byte) error {
	wait := s.Backoff
	var last error
	for attempt := 1; ; attempt++ {
		retry, err := s.attempt(ctx, client, h, event, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil { // the overall limit ended this attempt
			if last == nil {
				return fmt.Errorf("no answer within the %s limit", s.Limit)
			}
			return fmt.Errorf("%w; stopped at the %s limit", last, s.Limit)
		}
		last = describe(err, u, s.AttemptTimeout)
		if attempt > 1 {
			last = fmt.Errorf("%w (%d attempts)", last, attempt)
		}
		if !retry || attempt == s.Attempts {
			return last
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; stopped at the %s limit", last, s.Limit)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// statusError is a response that was not a success.
type statusError struct{ code int }

func (e statusError) Error() string {
	if e.code >= 300 && e.code < 400 {
		return fmt.Sprintf("HTTP %d %s: redirects are not followed; set the variable to the URL that answers", e.code, http.StatusText(e.code))
	}
	return fmt.Sprintf("HTTP %d %s", e.code, http.StatusText(e.code))
}

func (s Sender) attempt(ctx context.Context, client *http.Client, h Hook, event string, body []byte) (retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, s.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.UserAgent)
	req.Header.Set(EventHeader, event)
	if h.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(h.Secret, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		return true, err // a network error
	}
	// Read a little of the body so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return false, nil
	case c == http.StatusTooManyRequests || c >= 500:
		return true, statusError{c}
	default:
		return false, statusError{c}
	}
}

// describe says what went wrong in words that never contain the URL:
// net/http's errors quote it, and a dial error quotes its host and port.
func describe(err error, u *url.URL, attemptTimeout time.Duration) error {
	var se statusError
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("no answer within %s", attemptTimeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return errors.New("connection refused")
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("connection closed without an answer")
	case errors.As(err, &dns):
		return errors.New("host not found")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	for _, secret := range []string{u.String(), u.Redacted(), u.Host, u.Hostname(), u.Path} {
		if secret != "" && secret != "/" {
			msg = strings.ReplaceAll(msg, secret, "…")
		}
	}
	return errors.New(msg)
}
