package cireport

import (
	"fmt"
	"io"
	"strings"

	"github.com/octorelease/octorelease/internal/release"
)

const annotationTitle = "octorelease gate"

// Annotations writes one GitHub Actions `::error` workflow command per
// blocker, in order, e.g.
//
//	::error title=octorelease gate::qa-signoff (pre-release) is unsigned: waiting on qa
func Annotations(w io.Writer, g release.GateResult) error {
	var b strings.Builder
	for _, bl := range g.Blockers {
		fmt.Fprintf(&b, "::error title=%s::%s\n", escapeProperty(annotationTitle), escapeData(describe([]release.Blocker{bl})))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write annotations: %w", err)
	}
	return nil
}

// Escaping rules of GitHub workflow commands (actions/toolkit command.ts).
var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }
