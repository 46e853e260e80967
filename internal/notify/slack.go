package notify

import (
	"fmt"
	"strings"
)

// SlackMessage is the body of a `format: slack` webhook: Slack's incoming
// webhook format, which Mattermost and others accept too.
type SlackMessage struct {
	Text   string       `json:"text"` // the notification's fallback text
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is a section block of mrkdwn text.
type SlackBlock struct {
	Type string    `json:"type"`
	Text SlackText `json:"text"`
}

// SlackText is a block's text object.
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Slack limits a section's text to 3,000 characters; a long list is cut
// to whole lines well below it.
const (
	maxSlackLines = 20
	maxSlackText  = 2800
)

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// SlackEscape escapes text for Slack's mrkdwn as Slack documents: &, < and
// >, so that a title or a name cannot make a link or a mention
// (<!channel>) of its own.
func SlackEscape(s string) string { return slackEscaper.Replace(s) }

// Slack renders p as a Slack message: a headline and, for the events that
// list things, a section with one line per role, item or blocker.
func Slack(p Payload) SlackMessage {
	e := SlackEscape
	rel := "*" + e(p.Release.ID) + "*"
	by := ""
	if p.Actor != "" {
		by = " by " + e(p.Actor)
	}
	var head string
	var lines []string
	switch p.Event {
	case Waiting:
		names := make([]string, len(p.Roles))
		for i, r := range p.Roles {
			names[i] = e(r.Name)
			who := "anyone"
			if len(r.Members) > 0 {
				who = e(strings.Join(r.Members, ", "))
			}
			lines = append(lines, fmt.Sprintf("*%s* (%s):", e(r.Name), who))
			for _, it := range r.Items {
				lines = append(lines, fmt.Sprintf("• `%s` %s", e(it.ID), e(it.Title)))
			}
		}
		head = fmt.Sprintf("%s is waiting on %s", rel, strings.Join(names, ", "))
	case PhaseComplete:
		head = fmt.Sprintf("%s: phase *%s* is complete", rel, e(p.Phase.Title))
		if p.Phase.Next != nil {
			head += fmt.Sprintf("; *%s* is open", e(p.Phase.Next.Title))
		} else {
			head += "; every item is done"
		}
	case GateBlocked:
		scope := "gate"
		if p.Gate != nil && p.Gate.Phase != "" {
			scope = fmt.Sprintf("gate `%s`", e(p.Gate.Phase))
		}
		head = fmt.Sprintf("%s: %s is blocked by %d item(s)", rel, scope, len(p.Blockers))
		for _, b := range p.Blockers {
			line := "• "
			if b.Item != "" {
				line += fmt.Sprintf("`%s` ", e(b.Item))
			}
			line += fmt.Sprintf("%s: %s", e(b.Title), e(b.Reason))
			if len(b.PendingRoles) > 0 {
				line += " (waiting on " + e(strings.Join(b.PendingRoles, ", ")) + ")"
			}
			lines = append(lines, line)
		}
	case Released:
		head = fmt.Sprintf("%s is released%s", rel, by)
	case Incident:
		head = fmt.Sprintf("%s: incident `%s` opened%s: %s", rel, e(p.Incident.ID), by, e(p.Incident.Reason))
	case RolledBack:
		head = fmt.Sprintf("%s is rolled back%s (incident `%s`)", rel, by, e(p.Incident.ID))
	default:
		head = fmt.Sprintf("%s: %s", rel, e(p.Event))
	}
	msg := SlackMessage{Text: head, Blocks: []SlackBlock{section(head)}}
	if len(lines) > 0 {
		msg.Blocks = append(msg.Blocks, section(joinCapped(lines)))
	}
	return msg
}

func section(text string) SlackBlock {
	return SlackBlock{Type: "section", Text: SlackText{Type: "mrkdwn", Text: text}}
}

// joinCapped joins whole lines, at most maxSlackLines of them and
// maxSlackText bytes, and says how many were left out. Lines are cut whole
// so that no escape (&amp;) or code span is split.
func joinCapped(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i == maxSlackLines || b.Len()+len(l)+1 > maxSlackText {
			fmt.Fprintf(&b, "… and %d more", len(lines)-i)
			break
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}
