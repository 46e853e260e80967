package app

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/octorelease/octorelease/internal/errs"
)

// TestReportShortensEchoedInput: a message quoting a huge argument stays a
// short, valid UTF-8 line that keeps both ends of the message.
func TestReportShortensEchoedInput(t *testing.T) {
	for _, fill := range []string{"x", "é", "日本"} {
		var buf bytes.Buffer
		arg := strings.Repeat(fill, 10_000)
		code := Report(&buf, errs.Usagef("unknown item %q in release v1.0.0", arg).WithHint("see %s", arg))
		if code != errs.CodeUsage {
			t.Errorf("code %d", code)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "octorelease: unknown item \"") || !strings.HasPrefix(lines[1], "hint: see ") {
			t.Fatalf("output %q", buf.String())
		}
		for _, l := range lines {
			if len(l) > maxLine+len("octorelease: ")+30 || !utf8.ValidString(l) || !strings.Contains(l, "bytes)…") {
				t.Errorf("line not shortened to valid UTF-8: %d bytes, %q...", len(l), l[:40])
			}
		}
		if !strings.HasSuffix(lines[0], `" in release v1.0.0`) {
			t.Errorf("the end of the message is lost: %q", lines[0][len(lines[0])-40:])
		}
	}
	var buf bytes.Buffer
	Report(&buf, errs.Usagef("short"))
	if buf.String() != "octorelease: short\n" {
		t.Errorf("short message changed: %q", buf.String())
	}
}
