package notes

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"text/template"

	"github.com/octorelease/octorelease/internal/errs"
)

// TemplateName is the file name of the release-notes template, in the
// embedded defaults and in a team's checklists folder.
const TemplateName = "release-notes.md.tmpl"

// Funcs are the helper functions a release-notes template can call, besides
// text/template's built-ins:
//
//	short HASH          the first 7 characters of a commit hash
//	join SEP LIST       strings.Join
//	default DEF VALUE   VALUE, or DEF when VALUE is blank: {{.Summary | default "TODO"}}
//	trim, lower, upper  strings.TrimSpace, ToLower, ToUpper
func Funcs() template.FuncMap {
	return template.FuncMap{
		"short": func(hash string) string {
			if len(hash) > 7 {
				return hash[:7]
			}
			return hash
		},
		"join": func(sep string, list []string) string { return strings.Join(list, sep) },
		"default": func(def, v string) string {
			if strings.TrimSpace(v) == "" {
				return def
			}
			return v
		},
		"trim":  strings.TrimSpace,
		"lower": strings.ToLower,
		"upper": strings.ToUpper,
	}
}

// Render executes the release-notes template tmpl with d. A template that
// does not parse or fails to execute (an unknown field, a wrong argument) is
// a usage error that names the template line.
func Render(tmpl string, d Data) ([]byte, error) {
	t, err := template.New(TemplateName).Funcs(Funcs()).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, templateError(err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, templateError(err)
	}
	return buf.Bytes(), nil
}

// templatePos picks the line and message out of text/template's
// "template: NAME:LINE[:COL]: MESSAGE".
//
// Compiled on first use: every command links this package, few need it.
var templatePos = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^template: [^:]*:(\d+)(?::\d+)?: (?s)(.*)$`) })

func templateError(err error) error {
	if m := templatePos().FindStringSubmatch(err.Error()); m != nil {
		return errs.Usagef("%s line %s: %s", TemplateName, m[1], m[2])
	}
	return errs.Usagef("%s: %v", TemplateName, err)
}
