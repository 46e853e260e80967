package release

import (
	"fmt"

	"github.com/octorelease/octorelease/internal/checklist"
)

// FromFormat1 carries a format-1 release into format 2: a header that
// records the old chain's final hash, and the old events in their order,
// each keeping its kind, actor, time, note, reason, evidence, status, link
// and check result, chained one after the other. A format-1 revoke
// withdrew the sign-off in force for its item and role; here it names
// that event. All events are pending: the caller stores them.
func FromFormat1(meta Meta, cl checklist.Checklist, old []Event, finalHash string) (*Release, error) {
	meta.CreatedAt = meta.CreatedAt.UTC()
	h := Header{Format: FormatVersion, Meta: meta, Checklist: normChecklist(cl),
		Migrated: &Migration{FromFormat: 1, FinalHash: finalHash, Events: len(old)}}
	data, err := EncodeHeader(h)
	if err != nil {
		return nil, fmt.Errorf("encode header of %s: %w", meta.ID, err)
	}
	if h, err = DecodeHeader(data); err != nil {
		return nil, err
	}
	r := &Release{Header: h}
	inForce := map[[2]string]string{} // (item, role) → hash of the sign or waive in force
	for i, e := range old {
		if i == 0 && e.Kind != EventStart {
			return nil, fmt.Errorf("format-1 release %s: first event is %q, not start", meta.ID, e.Kind)
		}
		key := [2]string{e.Item, e.Role}
		e.Parents, e.Revokes, e.Hash, e.Signature = nil, nil, "", ""
		if e.Kind == EventRevoke {
			if h, ok := inForce[key]; ok {
				e.Revokes = []string{h}
			}
		}
		if err := r.appendEvent(e); err != nil {
			return nil, fmt.Errorf("format-1 release %s, event %d: %w", meta.ID, i+1, err)
		}
		switch e.Kind {
		case EventSign, EventWaive:
			inForce[key] = r.Events[len(r.Events)-1].Hash
		case EventRevoke:
			delete(inForce, key)
		}
	}
	return r, nil
}
