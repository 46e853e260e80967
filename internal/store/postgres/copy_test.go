package postgres

import (
	"reflect"
	"testing"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// deepCopy copies every field and shares no memory: a release handed out
// from the cache may be changed by its caller.
func TestDeepCopy(t *testing.T) {
	r := storetest.NewRelease(t, "v1.0.0", storetest.Checklist())
	if err := r.Sign(release.SignRequest{Items: []string{"qa-signoff"}, Role: "qa", Actor: "carol",
		Evidence: []string{"https://x"}, At: storetest.Tick(1)}, storetest.Open); err != nil {
		t.Fatal(err)
	}
	h, events := deepCopy(r.Header), deepCopy(r.Events)
	if !reflect.DeepEqual(h, r.Header) || !reflect.DeepEqual(events, r.Events) {
		t.Fatal("the copy differs")
	}
	h.Checklist.Phases[0].Items[0].Roles[0] = "changed"
	h.Checklist.Phases[1].Items[0].Approvals["sre"] = 9
	h.Checklist.Phases[0].Items[0].Check.Run = "changed"
	events[1].Evidence[0] = "changed"
	events[1].Parents[0] = "changed"
	if r.Checklist.Phases[0].Items[0].Roles[0] == "changed" || r.Checklist.Phases[1].Items[0].Approvals["sre"] == 9 ||
		r.Checklist.Phases[0].Items[0].Check.Run == "changed" || r.Events[1].Evidence[0] == "changed" || r.Events[1].Parents[0] == "changed" {
		t.Error("the copy shares memory with the original")
	}
	if !events[0].At.Equal(r.Events[0].At) {
		t.Error("times are not copied")
	}
}
