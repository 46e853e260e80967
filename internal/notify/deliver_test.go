package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/testhook"
)

// fast is a Sender with the defaults' shape and test-sized times.
var fast = Sender{AttemptTimeout: 200 * time.Millisecond, Backoff: 10 * time.Millisecond, Limit: 2 * time.Second}

// newReceiver records what it is sent; status decides each answer (nil: 204).
func newReceiver(t *testing.T, status func(n int64) int) *testhook.Server {
	t.Helper()
	return testhook.New(t, func(n int64, _ testhook.Request) int {
		if status == nil {
			return http.StatusNoContent
		}
		return status(n)
	})
}

func samplePayloads() []Payload {
	r := Release{ID: "v1.4.0", Version: "1.4.0", Type: "minor", Status: "released"}
	return []Payload{
		{Schema: Schema, Event: PhaseComplete, At: "2026-11-25T10:00:00Z", Actor: "alice", Release: r,
			Phase: &Phase{ID: "deploy", Title: "Deployment"}},
		{Schema: Schema, Event: Released, At: "2026-11-25T10:00:00Z", Actor: "alice", Release: r},
	}
}

// noURL fails when a failure shows the URL or its host, a credential.
func noURL(t *testing.T, fails []Failure, raw string) {
	t.Helper()
	u, _ := url.Parse(raw)
	for _, f := range fails {
		msg := f.Error()
		for _, secret := range []string{raw, u.Host, u.Path} {
			if secret != "" && secret != "/" && strings.Contains(msg, secret) {
				t.Errorf("failure shows %q: %s", secret, msg)
			}
		}
	}
}

// TestSendDelivers: each hook gets the events it wants, in order, in its
// format, signed when it has a secret, and the signature verifies.
func TestSendDelivers(t *testing.T) {
	js, slack := newReceiver(t, nil), newReceiver(t, nil)
	hooks := []Hook{
		{Name: "JSON_HOOK", URL: js.URL + "/hook/secret-path", Format: FormatJSON, Secret: "s3cret"},
		{Name: "SLACK_HOOK", URL: slack.URL, Format: FormatSlack, On: []string{Released}},
	}
	ps := samplePayloads()
	if fails := fast.Send(context.Background(), hooks, ps); len(fails) != 0 {
		t.Fatalf("failures: %v", fails)
	}
	jsGot, slackGot := js.Requests(), slack.Requests()
	if len(jsGot) != 2 || len(slackGot) != 1 {
		t.Fatalf("json hook got %d, slack hook %d; want 2 and 1", len(jsGot), len(slackGot))
	}
	for i, p := range ps {
		want, _ := Body(FormatJSON, p)
		if string(jsGot[i].Body) != string(want) {
			t.Errorf("json body %d = %s, want %s", i, jsGot[i].Body, want)
		}
		h := jsGot[i].Header
		if got := h.Get(SignatureHeader); got != Sign("s3cret", jsGot[i].Body) || !strings.HasPrefix(got, "sha256=") || len(got) != 7+64 {
			t.Errorf("signature %q does not verify", got)
		}
		if h.Get(EventHeader) != p.Event || h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "octorelease" {
			t.Errorf("headers %v", h)
		}
	}
	want, _ := Body(FormatSlack, ps[1])
	if string(slackGot[0].Body) != string(want) || slackGot[0].Header.Get(SignatureHeader) != "" {
		t.Errorf("slack body %s (signature %q), want %s unsigned", slackGot[0].Body, slackGot[0].Header.Get(SignatureHeader), want)
	}
}

// TestSendRetries: 5xx and 429 are retried up to Attempts; other 4xx and
// 3xx are not; a hook stops at the first payload it could not deliver.
func TestSendRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   func(int64) int
		hits     int64
		wantFail string
	}{
		{"500 then ok", func(n int64) int { return map[bool]int{true: 500, false: 200}[n <= 2] }, 4, ""},
		{"429 then ok", func(n int64) int { return map[bool]int{true: 429, false: 200}[n == 1] }, 3, ""},
		{"always 500", func(int64) int { return 500 }, 3,
			"webhook H: phase-complete: HTTP 500 Internal Server Error (3 attempts) (2 events not sent)"},
		{"404", func(int64) int { return 404 }, 1, "webhook H: phase-complete: HTTP 404 Not Found (2 events not sent)"},
		{"last event 503", func(n int64) int { return map[bool]int{true: 503, false: 200}[n > 1] }, 4,
			"webhook H: released: HTTP 503 Service Unavailable (3 attempts)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, tc.status)
			fails := fast.Send(context.Background(), []Hook{{Name: "H", URL: rc.URL, Format: FormatJSON}}, samplePayloads())
			if got := rc.Hits(); got != tc.hits {
				t.Errorf("%d requests, want %d", got, tc.hits)
			}
			switch {
			case tc.wantFail == "" && len(fails) != 0:
				t.Errorf("failures %v", fails)
			case tc.wantFail != "" && (len(fails) != 1 || fails[0].Error() != tc.wantFail):
				t.Errorf("failures %v, want %q", fails, tc.wantFail)
			}
			noURL(t, fails, rc.URL)
		})
	}
}

// TestSendRedirectNotFollowed: a 3xx is a failure, the other host is
// never contacted and the request is not repeated.
func TestSendRedirectNotFollowed(t *testing.T) {
	elsewhere := newReceiver(t, nil)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/stolen", http.StatusFound)
	}))
	defer redirect.Close()
	fails := fast.Send(context.Background(), []Hook{{Name: "H", URL: redirect.URL, Secret: "k"}}, samplePayloads()[:1])
	if len(fails) != 1 || !strings.Contains(fails[0].Error(), "HTTP 302 Found: redirects are not followed") {
		t.Errorf("failures %v", fails)
	}
	if n := elsewhere.Hits(); n != 0 {
		t.Errorf("the redirect was followed: %d requests", n)
	}
	noURL(t, fails, redirect.URL)
}

func TestSendRefused(t *testing.T) {
	u := testhook.Refused(t) + "/hook"
	fails := fast.Send(context.Background(), []Hook{{Name: "H", URL: u}}, samplePayloads())
	if len(fails) != 1 || fails[0].Error() != "webhook H: phase-complete: connection refused (3 attempts) (2 events not sent)" {
		t.Errorf("failures %v", fails)
	}
	noURL(t, fails, u)
}

// TestSendSlow: a server slower than the attempt timeout is given up on
// after Attempts tries.
func TestSendSlow(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	defer close(release)
	start := time.Now()
	fails := fast.Send(context.Background(), []Hook{{Name: "H", URL: slow.URL}}, samplePayloads()[:1])
	if len(fails) != 1 || fails[0].Error() != "webhook H: phase-complete: no answer within 200ms (3 attempts)" {
		t.Errorf("failures %v", fails)
	}
	if d := time.Since(start); d > fast.Limit {
		t.Errorf("took %s", d)
	}
	noURL(t, fails, slow.URL)
}

// TestSendLimit: hooks that never answer cost the limit, not the sum of
// their timeouts; a good hook is served meanwhile; and no goroutine of
// Send's outlives it.
func TestSendLimit(t *testing.T) {
	baseline := runtime.NumGoroutine()
	good := newReceiver(t, nil)
	s := Sender{AttemptTimeout: 300 * time.Millisecond, Backoff: 50 * time.Millisecond, Limit: 500 * time.Millisecond}
	hang1, stop1 := testhook.Silent(t)
	hang2, stop2 := testhook.Silent(t)
	hooks := []Hook{{Name: "HANG1", URL: hang1 + "/hook"}, {Name: "GOOD", URL: good.URL}, {Name: "HANG2", URL: hang2 + "/hook"}}
	start := time.Now()
	fails := s.Send(context.Background(), hooks, samplePayloads())
	if d := time.Since(start); d < s.Limit || d > s.Limit+500*time.Millisecond {
		t.Errorf("Send took %s, want about the %s limit", d, s.Limit)
	}
	want := []string{
		"webhook HANG1: phase-complete: no answer within 300ms; stopped at the 500ms limit (2 events not sent)",
		"webhook HANG2: phase-complete: no answer within 300ms; stopped at the 500ms limit (2 events not sent)",
	}
	if len(fails) != 2 || fails[0].Error() != want[0] || fails[1].Error() != want[1] {
		t.Errorf("failures %v\nwant %q", fails, want)
	}
	if n := good.Hits(); n != 2 {
		t.Errorf("the good hook got %d events, want 2", n)
	}
	// With the servers gone, so are all goroutines: Send left no request,
	// connection or timer running.
	good.Close()
	stop1()
	stop2()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Send, %d before:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

func TestSendBadURL(t *testing.T) {
	for _, u := range []string{"hooks.slack.com/services/T0/B0/SECRET", "ftp://x/SECRET", "http://", "::SECRET"} {
		fails := fast.Send(context.Background(), []Hook{{Name: "H", URL: u}}, samplePayloads())
		if len(fails) != 1 || fails[0].Error() != "webhook H: the variable does not hold an http(s) URL" {
			t.Errorf("%q: %v", u, fails)
		}
	}
}

func TestSendNothingWanted(t *testing.T) {
	rc := newReceiver(t, nil)
	if fails := fast.Send(context.Background(), []Hook{{Name: "H", URL: rc.URL, On: []string{GateBlocked}}}, samplePayloads()); len(fails) != 0 {
		t.Errorf("failures %v", fails)
	}
	if rc.Hits() != 0 {
		t.Error("sent an event the hook does not want")
	}
}
