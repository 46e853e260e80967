package release

import (
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
)

func TestParseVersion(t *testing.T) {
	tests := []struct{ in, id, version string }{
		{"1.4.0", "v1.4.0", "1.4.0"},
		{"v1.4.0", "v1.4.0", "1.4.0"},
		{"v1.4.0-rc.1", "v1.4.0-rc.1", "1.4.0-rc.1"},
		{"0.0.1", "v0.0.1", "0.0.1"},
		{"10.20.30-alpha.beta-1", "v10.20.30-alpha.beta-1", "10.20.30-alpha.beta-1"},
	}
	for _, tt := range tests {
		id, v, err := ParseVersion(tt.in)
		if err != nil || id != tt.id || v != tt.version {
			t.Errorf("ParseVersion(%q) = %q, %q, %v; want %q, %q", tt.in, id, v, err, tt.id, tt.version)
		}
	}
	for _, bad := range []string{"", "v", "1", "1.4", "v1.4", "V1.4.0", "vv1.4.0", " 1.4.0", "1.4.0 ", "01.4.0",
		"1.4.0+build.5", "1.4.0-", "1.4.0-rc.01", "1.4.0/x", "../1.4.0", "latest", "1.4.0.1", "v1.4.0\n"} {
		_, _, err := ParseVersion(bad)
		wantErr(t, err, errs.CodeUsage, "invalid version")
	}
}

func TestInferType(t *testing.T) {
	tests := []struct{ prev, next, want string }{
		{"1.3.2", "1.4.0", TypeMinor},
		{"v1.3.2", "v1.3.3", TypePatch},
		{"1.3.2", "2.0.0", TypeMajor},
		{"1.3.2", "1.5.7", TypeMinor},
		{"0.9.9", "1.0.0", TypeMajor},
		{"1.3.2", "1.4.0-rc.1", TypeMinor},
		{"1.4.0-rc.1", "1.4.0", TypeMinor},
		{"1.4.0-rc.1", "1.4.0-rc.2", TypeMinor},
		{"2.0.0-beta", "2.0.0", TypeMajor},
		{"1.4.1-rc.1", "1.4.1", TypePatch},
	}
	for _, tt := range tests {
		got, err := InferType(tt.prev, tt.next)
		if err != nil || got != tt.want {
			t.Errorf("InferType(%s, %s) = %q, %v; want %q", tt.prev, tt.next, got, err, tt.want)
		}
	}
	for _, bad := range [][2]string{{"1.4.0", "1.4.0"}, {"1.4.0", "1.3.9"}, {"1.4.0", "1.4.0-rc.1"}, {"2.0.0", "1.9.9"}} {
		_, err := InferType(bad[0], bad[1])
		wantErr(t, err, errs.CodeUsage, "is not newer than")
	}
	_, err := InferType("junk", "1.0.0")
	wantErr(t, err, errs.CodeUsage, "invalid version")
	_, err = InferType("1.0.0", "junk")
	wantErr(t, err, errs.CodeUsage, "invalid version")
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.4.0", "v1.4.0", 0},
		{"1.3.9", "1.4.0", -1},
		{"v1.10.0", "1.9.0", 1},
		{"1.4.0-rc.1", "1.4.0", -1},
		{"1.4.0-rc.2", "1.4.0-rc.10", -1},
		{"junk", "0.0.1", -1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIncidentID(t *testing.T) {
	id := IncidentID("v1.4.0", 2)
	if id != "v1.4.0-incident-2" {
		t.Fatalf("IncidentID = %q", id)
	}
	rel, n, ok := ParseIncidentID(id)
	if !ok || rel != "v1.4.0" || n != 2 {
		t.Errorf("ParseIncidentID(%q) = %q, %d, %v", id, rel, n, ok)
	}
	rel, n, ok = ParseIncidentID("v1.4.0-rc.1-incident-12")
	if !ok || rel != "v1.4.0-rc.1" || n != 12 {
		t.Errorf("pre-release incident: %q, %d, %v", rel, n, ok)
	}
	for _, bad := range []string{"v1.4.0", "v1.4.0-incident-", "v1.4.0-incident-0", "v1.4.0-incident-01",
		"v1.4.0-incident--1", "1.4.0-incident-1", "v1.4-incident-1", "v1.4.0-incident-1x", "v1.4.0-incident-9999999999"} {
		if _, _, ok := ParseIncidentID(bad); ok {
			t.Errorf("ParseIncidentID(%q) accepted", bad)
		}
	}
}

func TestValidID(t *testing.T) {
	// "v1.4.0-incident-0" is a valid release id (pre-release "incident-0"),
	// so it is accepted even though it is no incident id.
	for _, good := range []string{"v1.4.0", "v0.0.1-rc.1", "v1.4.0-incident-1", "v1.4.0-rc.1-incident-3", "v1.4.0-incident-0",
		"v1.0.0-" + strings.Repeat("a", MaxIDLength-7)} {
		if err := ValidID(good); err != nil {
			t.Errorf("ValidID(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "1.4.0", "v1.4", "v1.4.0/../x", "../v1.4.0", "v1.4.0\\x", "..", ".", "v1.4.0.json", "v1.4.0_incident-1",
		"v1.4.0+build", "v1.4.0\x00", "V1.4.0", "v1.0.0-" + strings.Repeat("a", MaxIDLength-6),
		"v1.0.0-" + strings.Repeat("a", MaxIDLength) + "-incident-1"} {
		wantErr(t, ValidID(bad), errs.CodeUsage, "invalid release id")
	}
}
