package legacy

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzDecode: Decode never panics, and whatever it accepts can be verified
// and re-encoded, and the canonical re-encoding decodes to a file that
// verifies the same way and encodes to the same bytes. Seeds: the fixture
// state files, edits of them, and testdata/fuzz/FuzzDecode (the old
// codec's seed corpus, kept when internal/release dropped it).
func FuzzDecode(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "state", "*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixture: %v", err)
	}
	for _, name := range names {
		data := readFixture(f, filepath.Base(name))
		f.Add(data)
		// Seeds one edit away from valid, so that the fuzzer starts at the
		// decisions Decode makes.
		f.Add(bytes.Replace(data, []byte(`"serial":`), []byte(`"serial": 1, "serial":`), 1))
		f.Add(bytes.Replace(data, []byte(`"kind":`), []byte(`"Kind":`), 1))
		f.Add(bytes.Replace(data, []byte(`"needs": []`), []byte(`"needs": null`), 1))
		f.Add(bytes.Replace(data, []byte(`"timeout": "1s"`), []byte(`"timeout": "1000ms"`), 1))
		f.Add(bytes.Replace(data, []byte(`Z"`), []byte(`+14:00"`), 1))
		f.Add(append(slices.Clone(data), "{}"...))
	}
	f.Add([]byte(`{"format":1,"release":{"created_at":"0000-01-01T00:00:00Z"},"checklist":{"phases":[{"items":[{"check":{"timeout":"-2562047h47m16.854775808s"}}]}]},"events":[{"evidence":[],"check":{}}]}`))
	f.Add([]byte(`{"format":1,"events":null,"checklist":null,"release":null}`))
	f.Add([]byte(`{"format":1,"release":{"summary":"\ud800 \xff \u2028"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			return
		}
		problems := Verify(file)
		_ = FinalHash(file)
		_ = VerifyBytes(data)
		canon, err := canonical(file)
		if err != nil {
			t.Fatalf("accepted file does not encode: %v", err)
		}
		again, err := Decode(canon)
		if err != nil {
			t.Fatalf("canonical form does not decode: %v\n%s", err, canon)
		}
		if got := Verify(again); !slices.Equal(got, problems) {
			t.Fatalf("Verify after a round trip = %q, before %q", got, problems)
		}
		if canon2, err := canonical(again); err != nil || !bytes.Equal(canon2, canon) {
			t.Fatalf("canonical form is not stable: %v\n%s\n%s", err, canon, canon2)
		}
		_ = file.Checklist.ToChecklist()
	})
}
