package release

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/octorelease/octorelease/internal/errs"
)

// Release types.
const (
	TypePatch    = "patch"
	TypeMinor    = "minor"
	TypeMajor    = "major"
	TypeIncident = "incident"
)

// MaxIDLength bounds release and incident ids (they name files).
const MaxIDLength = 128

// ParseVersion accepts a full semantic version with or without a leading v
// ("1.4.0", "v1.4.0", "v1.4.0-rc.1") and returns the release id ("v1.4.0")
// and the version ("1.4.0"). Short forms and build metadata are refused.
func ParseVersion(s string) (id, version string, err error) {
	v := s
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if len(v) > MaxIDLength || !semver.IsValid(v) || semver.Canonical(v) != v {
		return "", "", errs.Usagef("invalid version %q: want a semantic version such as 1.4.0 or v1.4.0-rc.1", s)
	}
	return v, v[1:], nil
}

// CompareVersions orders two versions (with or without v) like semver:
// -1, 0 or +1. An invalid version sorts before every valid one.
func CompareVersions(a, b string) int {
	return semver.Compare(withV(a), withV(b))
}

func withV(s string) string {
	if strings.HasPrefix(s, "v") {
		return s
	}
	return "v" + s
}

// InferType says what kind of release next is after prev: major, minor or
// patch by the component that grew (1.3.2 → 1.4.0 is minor). When only a
// pre-release part differs (1.4.0-rc.1 → 1.4.0), the shape of next decides:
// x.0.0 is major, x.y.0 minor, else patch.
func InferType(prev, next string) (string, error) {
	pid, _, err := ParseVersion(prev)
	if err != nil {
		return "", err
	}
	nid, _, err := ParseVersion(next)
	if err != nil {
		return "", err
	}
	if semver.Compare(nid, pid) <= 0 {
		return "", &NotNewerError{Version: nid, Latest: pid}
	}
	p, n := components(pid), components(nid)
	switch {
	case n[0] != p[0]:
		return TypeMajor, nil
	case n[1] != p[1]:
		return TypeMinor, nil
	case n[2] != p[2]:
		return TypePatch, nil
	case n[1] == 0 && n[2] == 0:
		return TypeMajor, nil
	case n[2] == 0:
		return TypeMinor, nil
	}
	return TypePatch, nil
}

// components returns major, minor and patch of a canonical version.
func components(v string) [3]uint64 {
	core := strings.TrimPrefix(semver.Canonical(v), "v")
	core, _, _ = strings.Cut(core, "-")
	var c [3]uint64
	for i, part := range strings.SplitN(core, ".", 3) {
		// semver.IsValid already vouched for the digits; a value beyond
		// uint64 saturates, which still orders correctly for our use.
		n, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			n = ^uint64(0)
		}
		c[i] = n
	}
	return c
}

// IncidentID names the n-th incident run of a release.
func IncidentID(releaseID string, n int) string {
	return fmt.Sprintf("%s-incident-%d", releaseID, n)
}

// ParseIncidentID splits an incident run id into its release id and number.
func ParseIncidentID(id string) (releaseID string, n int, ok bool) {
	i := strings.LastIndex(id, "-incident-")
	if i < 0 {
		return "", 0, false
	}
	rel, num := id[:i], id[i+len("-incident-"):]
	if num == "" || num[0] == '0' || len(num) > 9 {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return "", 0, false
	}
	if got, _, err := ParseVersion(rel); err != nil || got != rel {
		return "", 0, false
	}
	return rel, n, true
}

// ValidID accepts exactly release ids (v + semantic version) and incident
// run ids (<release id>-incident-<n>), at most MaxIDLength bytes. Such ids
// never contain path separators or "..", so they are safe as file names.
func ValidID(id string) error {
	if len(id) <= MaxIDLength {
		if got, _, err := ParseVersion(id); err == nil && got == id {
			return nil
		}
		if _, _, ok := ParseIncidentID(id); ok {
			return nil
		}
	}
	return errs.Usagef("invalid release id %q: want v<semantic version> or <release>-incident-<n>", id)
}
