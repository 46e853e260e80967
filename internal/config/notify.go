package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// NotifyHook is one entry under `notify:` (SPEC §15). It names the
// environment variables that hold the URL and the secret, never their
// values: a webhook URL is a credential and stays out of committed files.
type NotifyHook struct {
	URLEnv    string   // url_env: the variable holding the URL
	Format    string   // NotifyJSON (default) or NotifySlack
	On        []string // the events to send, in file order; never empty (default: NotifyEvents)
	SecretEnv string   // secret_env: the variable holding the HMAC key; "" for none
	Line      int      // where the entry starts in the config file
}

// Formats of a webhook's body.
const (
	NotifyJSON  = "json"
	NotifySlack = "slack"
)

// NotifyEvents are the events a webhook can be sent, in the order SPEC §15
// lists them (package notify defines what each one carries).
var NotifyEvents = []string{"waiting", "phase-complete", "gate-blocked", "released", "incident", "rolled-back"}

var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// notify decodes the `notify:` list. Problems never quote url_env or
// secret_env: a value that is not a variable name may be the secret itself.
func (p *parser) notify(n *yaml.Node) []NotifyHook {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "notify must be a list of webhooks, each with url_env")
		return nil
	}
	var out []NotifyHook
	seen := map[string]int{} // url_env → line
	for _, e := range n.Content {
		h, ok := p.notifyHook(e)
		if !ok {
			continue
		}
		if line, dup := seen[h.URLEnv]; dup {
			p.fail(e, fmt.Sprintf("url_env %s is already used by the webhook at line %d", h.URLEnv, line))
			continue
		}
		seen[h.URLEnv] = h.Line
		out = append(out, h)
	}
	return out
}

func (p *parser) notifyHook(n *yaml.Node) (NotifyHook, bool) {
	h := NotifyHook{Format: NotifyJSON, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.fail(n, "a notify entry must be a mapping with url_env, format, on and secret_env")
		return h, false
	}
	before := len(p.pe.Problems)
	envName := func(v *yaml.Node, key string) string {
		s := p.str(v, "notify."+key)
		if s == nil {
			return ""
		}
		if !envVarName.MatchString(*s) {
			p.fail(v, key+" must name an environment variable (letters, digits and _), not hold the value itself")
			return ""
		}
		return *s
	}
	// url and secret are known only to say why they are refused.
	known := []string{"url_env", "format", "on", "secret_env", "url", "secret"}
	p.eachKey(n, "notify entry", known, func(key string, v *yaml.Node) {
		switch key {
		case "url", "secret":
			p.fail(v, fmt.Sprintf("%s may not be written in the config, which is committed: put it in an environment variable and name that with %s_env", key, key))
		case "url_env":
			h.URLEnv = envName(v, key)
		case "secret_env":
			h.SecretEnv = envName(v, key)
		case "format":
			if s := p.str(v, "notify.format"); s != nil {
				if *s != NotifyJSON && *s != NotifySlack {
					p.fail(v, fmt.Sprintf("notify.format %q must be %s or %s", *s, NotifyJSON, NotifySlack))
				}
				h.Format = *s
			}
		case "on":
			h.On = p.notifyEvents(v)
		}
	})
	if len(p.pe.Problems) > before {
		return h, false
	}
	if h.URLEnv == "" {
		p.fail(n, "a notify entry needs url_env, the environment variable that holds the webhook's URL")
		return h, false
	}
	if h.On == nil {
		h.On = slices.Clone(NotifyEvents)
	}
	return h, true
}

func (p *parser) notifyEvents(n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "notify.on must be a list of events: "+strings.Join(NotifyEvents, ", "))
		return nil
	}
	if len(n.Content) == 0 {
		p.fail(n, "notify.on lists no events; leave it out to send every event")
		return nil
	}
	out := []string{}
	for _, e := range n.Content {
		switch {
		case e.Kind != yaml.ScalarNode || !slices.Contains(NotifyEvents, e.Value):
			p.fail(e, fmt.Sprintf("unknown event %q in notify.on; expected one of: %s", e.Value, strings.Join(NotifyEvents, ", ")))
		case slices.Contains(out, e.Value):
			p.fail(e, fmt.Sprintf("event %q is listed twice in notify.on", e.Value))
		default:
			out = append(out, e.Value)
		}
	}
	return out
}
