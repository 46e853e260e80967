package gitsync

import (
	"fmt"
	"sort"
	"strings"
)

// Message is the commit message Sync derives for new state files, e.g.
// "octorelease: record 3 events (v1.4.0)" or
// "octorelease: record 1 release and 2 events (v1.4.0, v1.5.0)".
// stateRel is the state folder and paths the files, both repo-relative
// slash paths; a file's release id is its first path component under the
// state folder.
func Message(stateRel string, paths []string) string {
	var releases, events, files int
	ids := map[string]bool{}
	for _, p := range paths {
		rest := strings.TrimPrefix(p, strings.TrimSuffix(stateRel, "/")+"/")
		id, sub, ok := strings.Cut(rest, "/")
		if !ok { // directly in the state folder, e.g. its .gitignore
			files++
			continue
		}
		ids[id] = true
		switch {
		case sub == "release.json":
			releases++
		case strings.HasPrefix(sub, "events/") && strings.HasSuffix(sub, ".json") && !strings.Contains(sub[len("events/"):], "/"):
			events++
		default:
			files++
		}
	}
	var what []string
	for _, c := range []struct {
		n    int
		noun string
	}{{releases, "release"}, {events, "event"}, {files, "file"}} {
		switch {
		case c.n == 1:
			what = append(what, "1 "+c.noun)
		case c.n > 1:
			what = append(what, fmt.Sprintf("%d %ss", c.n, c.noun))
		}
	}
	msg := "octorelease: record "
	switch len(what) {
	case 0:
		msg += "nothing"
	case 1:
		msg += what[0]
	default:
		msg += strings.Join(what[:len(what)-1], ", ") + " and " + what[len(what)-1]
	}
	if len(ids) > 0 {
		list := make([]string, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		sort.Strings(list)
		if len(list) > 3 {
			list = append(list[:3], fmt.Sprintf("%d more", len(list)-3))
		}
		msg += " (" + strings.Join(list, ", ") + ")"
	}
	return msg
}
