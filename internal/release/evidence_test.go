package release

import "testing"

func TestCheckEvidence(t *testing.T) {
	for _, ok := range []string{"https://ci.example.com/run/42", "http://x.example/a?b=c&d=<e>", "mailto:qa@example.com",
		"reports/qa.html", "docs/../reports/x.txt", "a.txt"} {
		if err := CheckEvidence(ok); err != nil {
			t.Errorf("CheckEvidence(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "  ", "https://", "file:///etc/passwd", "/etc/passwd", "../outside", "a/../../b",
		"two words", "x\n::warning::y", "C:\\evil", " https://x.example"} {
		if err := CheckEvidence(bad); err == nil {
			t.Errorf("CheckEvidence(%q) = nil, want an error", bad)
		}
	}
}
