package store_test

import (
	"path/filepath"
	"testing"

	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// TestFileStoreContract runs the backend contract against the file store,
// in a state folder that does not exist yet (start works without init).
func TestFileStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return store.NewFileStore(filepath.Join(t.TempDir(), "state"), store.Options{Actor: "contract"})
	})
}
