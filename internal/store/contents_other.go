//go:build !linux

package store

import "os"

// withContents calls fn with the contents of the file at path (read into
// memory; the Linux build maps large files instead).
func withContents(path string, fn func(data []byte)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := readAll(f)
	if err != nil {
		return err
	}
	fn(data)
	return nil
}
