//go:build !linux

package store

// withContents calls fn with the contents of the file at path (read into
// memory; the Linux build maps large files instead).
func withContents(path string, fn func(data []byte)) error {
	data, err := readStateFile(path)
	if err != nil {
		return err
	}
	fn(data)
	return nil
}
