package store

import "github.com/octorelease/octorelease/internal/release"

// LoadRaw returns the stored bytes of a release with its decoded form.
func (s *FileStore) LoadRaw(id string) ([]byte, *release.Release, error) {
	if err := checkID(id); err != nil {
		return nil, nil, err
	}
	return s.read(id)
}
