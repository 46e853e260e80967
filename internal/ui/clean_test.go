package ui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"":                                "",
		"QA sign-off completed":           "QA sign-off completed",
		`C:\builds\a.txt`:                 `C:\builds\a.txt`, // backslashes stay
		"Ünïcödé — 日本語 ✓":                 "Ünïcödé — 日本語 ✓",
		"two\nlines":                      `two\nlines`,
		"tab\there":                       `tab\there`,
		"cr\rover":                        `cr\rover`,
		"\x1b[31mred\x1b[0m":              `\x1b[31mred\x1b[0m`,
		"title\x1b]0;pwned\x07":           `title\x1b]0;pwned\a`,
		"::error::x\n::error::forged":     `::error::x\n::error::forged`,
		"del\x7f":                         `del\x7f`,
		"c1 \u009b2J":                     `c1 \u009b2J`,
		"rev \u202egnp.exe":               `rev \u202egnp.exe`,
		"\u202a\u202b\u202c\u202d":        `\u202a\u202b\u202c\u202d`,
		"\u2066isolate\u2067\u2068\u2069": `\u2066isolate\u2067\u2068\u2069`,
		"line\u2028sep\u2029":             `line\u2028sep\u2029`,
		"bad \xff\xfe utf-8":              `bad \xff\xfe utf-8`,
		"nul\x00":                         `nul\x00`,
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanCellKeepsStyling(t *testing.T) {
	th := NewTheme(true)
	styled := th.Done("done") + " " + th.Heading("v1.4.0")
	if got := cleanCell(styled); got != styled {
		t.Errorf("cleanCell changed the Theme's styling: %q", got)
	}
	if got := cleanCell(th.Done("ok") + "\x1b[2J\n"); got != th.Done("ok")+`\x1b[2J\n` {
		t.Errorf("cleanCell kept a non-SGR escape: %q", got)
	}
}

// FuzzClean: whatever the input, the output is valid UTF-8 with no control
// character, bidi control or separator, and cleaning it again changes nothing.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "plain", "a\nb", "\x1b[31m", "\u202e", "\xff", "日本\t語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: not UTF-8", s, got)
		}
		if strings.ContainsFunc(got, unsafeRune) {
			t.Fatalf("Clean(%q) = %q: carries a control character", s, got)
		}
		if again := Clean(got); again != got {
			t.Fatalf("Clean is not idempotent: %q, then %q", got, again)
		}
		if got := cleanCell(s); strings.ContainsAny(got, "\n\r\t") {
			t.Fatalf("cleanCell(%q) = %q: carries a line or field break", s, got)
		}
	})
}
