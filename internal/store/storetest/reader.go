package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/octorelease/octorelease/internal/store"
)

// LoadUntil is a reader that takes no lock, run beside concurrent writers
// until stop is closed: it loads release id from s in a loop, and every
// load must succeed and hold no fewer events than the one before. Each
// load adds one to loads; counts, when not nil, gets every event count a
// load saw as a key, to tell whether the reader overlapped the writers.
func LoadUntil(s store.Store, id string, stop <-chan struct{}, loads *atomic.Int64, counts *sync.Map) error {
	last := 0
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		r, err := s.Load(id)
		if err != nil {
			return fmt.Errorf("lock-free load %d: %w", i, err)
		}
		if len(r.Events) < last {
			return fmt.Errorf("lock-free load %d: went back from %d events to %d", i, last, len(r.Events))
		}
		last = len(r.Events)
		if counts != nil {
			counts.Store(last, true)
		}
		loads.Add(1)
	}
}
