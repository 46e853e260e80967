package cli

import (
	"context"
	"fmt"

	"github.com/octorelease/octorelease/internal/notify"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// notifyState collects what a command's writes did, for the webhooks of
// the config (SPEC §15). Each release written is compared once, as it was
// before the command's first write and after its last, so that a walk
// through ten items sends one waiting event, not ten.
type notifyState struct {
	store  store.Store
	queue  []notify.Payload // events known without a comparison: an incident opened, a gate blocked
	order  []string         // release ids, in the order first written
	writes map[string]*notifyWrite
	sender notify.Sender // tests shorten its timeouts
}

type notifyWrite struct {
	before *release.Release // nil: the command created it
	after  *release.Release
}

// notifyOn reports whether a webhook may be sent: not --no-notify, and a
// hook of the config has its url_env set. A command that never loaded the
// config wrote nothing.
func (f *Factory) notifyOn() bool {
	if f.Flags.NoNotify || f.cfg == nil {
		return false
	}
	for _, h := range f.cfg.Notify {
		if f.getenv(h.URLEnv) != "" {
			return true
		}
	}
	return false
}

// noteWrite records that a write turned the first n events of a release
// into after's, events being only ever added.
func (f *Factory) noteWrite(s store.Store, after *release.Release, n int) {
	if !f.notifyOn() {
		return
	}
	before := *after
	before.Events = after.Events[:n:n]
	f.noteRelease(s, &before, after)
}

// noteCreated records a release that a write created. An incident run
// comes with its release as loaded before the run was created: opening the
// run is an event of its own.
func (f *Factory) noteCreated(s store.Store, parent, r *release.Release) {
	if !f.notifyOn() {
		return
	}
	if parent != nil {
		f.notify.queue = append(f.notify.queue, f.notifySource().IncidentOpened(parent, r))
	}
	f.noteRelease(s, nil, r)
}

func (f *Factory) noteRelease(s store.Store, before, after *release.Release) {
	n := &f.notify
	n.store = s
	if w, ok := n.writes[after.Meta.ID]; ok {
		w.after = after
		return
	}
	if n.writes == nil {
		n.writes = map[string]*notifyWrite{}
	}
	n.writes[after.Meta.ID] = &notifyWrite{before: before, after: after}
	n.order = append(n.order, after.Meta.ID)
}

// notifyGateBlocked sends the gate-blocked event at once: gate then fails,
// and a failed command does not reach notifyAfter.
func (f *Factory) notifyGateBlocked(r *release.Release, g release.GateResult, items []string) {
	if !f.notifyOn() {
		return
	}
	f.notify.queue = append(f.notify.queue, f.notifySource().GateBlocked(r, g, items))
	f.notifyAfter()
}

func (f *Factory) notifySource() notify.Source {
	members := f.cfg.Members()
	return notify.Source{Actor: f.Actor(), At: f.Now(), Policy: f.policy(), Role: func(id string) (string, []string) {
		return f.cfg.RoleName(id), members[id]
	}}
}

// payloads are the events of what was recorded, in order.
func (n *notifyState) payloads(src notify.Source) []notify.Payload {
	out := n.queue
	for _, id := range n.order {
		w := n.writes[id]
		out = append(out, src.Changes(w.before, w.after)...)
		if w.before == nil || w.after.Meta.Parent == "" {
			continue
		}
		if parent, err := n.store.Load(w.after.Meta.Parent); err == nil {
			if p := src.RolledBack(parent, w.before, w.after); p != nil {
				out = append(out, *p)
			}
		}
	}
	return out
}

// notifyAfter sends the events of the command's writes to the webhooks,
// after the writes succeeded. It never fails the command: a hook that
// cannot be reached costs one warning line on stderr, which names its
// url_env and never its URL, a credential. An unset url_env skips its
// hook silently, as --no-notify skips them all.
func (f *Factory) notifyAfter() {
	if !f.notifyOn() {
		return
	}
	n := f.notify
	f.notify = notifyState{sender: n.sender}
	payloads := n.payloads(f.notifySource())
	if len(payloads) == 0 {
		return
	}
	var hooks []notify.Hook
	for _, h := range f.cfg.Notify {
		url := f.getenv(h.URLEnv)
		if url == "" {
			continue
		}
		secret := ""
		if h.SecretEnv != "" {
			if secret = f.getenv(h.SecretEnv); secret == "" {
				fmt.Fprintf(f.IO.ErrOut, "octorelease: warning: webhook %s: secret_env %s is not set; not sent unsigned\n", h.URLEnv, h.SecretEnv)
				continue
			}
		}
		hooks = append(hooks, notify.Hook{Name: h.URLEnv, URL: url, Format: h.Format, On: h.On, Secret: secret})
	}
	sender := n.sender
	sender.UserAgent = "octorelease/" + f.Version
	for _, fail := range sender.Send(context.Background(), hooks, payloads) {
		fmt.Fprintf(f.IO.ErrOut, "octorelease: warning: %v\n", fail)
	}
}
