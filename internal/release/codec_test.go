package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// The oracle: the encoding/json implementation the hand-written codec
// replaced, kept here to hold the codec to the same bytes and meaning.

func oracleNormalised(r *Release) *Release {
	n := *r
	n.Meta = normMeta(r.Meta)
	n.Checklist = normChecklist(r.Checklist)
	n.Events = make([]Event, len(r.Events))
	for i, e := range r.Events {
		e.At = e.At.UTC()
		n.Events[i] = e
	}
	return &n
}

func oracleEncode(r *Release) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(oracleNormalised(r)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func oracleCanonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

type oracleHeader struct {
	Format    int                 `json:"format"`
	Meta      Meta                `json:"release"`
	Checklist checklist.Checklist `json:"checklist"`
}

func oracleHeaderJSON(r *Release) ([]byte, error) {
	return oracleCanonicalJSON(oracleHeader{Format: r.Format, Meta: normMeta(r.Meta), Checklist: normChecklist(r.Checklist)})
}

func oracleEventJSON(e Event) ([]byte, error) {
	e.At = e.At.UTC()
	e.Hash = ""
	return oracleCanonicalJSON(e)
}

func oracleSum(b []byte, err error) string {
	if err != nil {
		return ""
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func oracleDecode(data []byte) (*Release, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Release
	if err := dec.Decode(&r); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty state file")
		}
		if f := oracleProbeFormat(data); f > FormatVersion {
			return nil, newerFormat(f)
		}
		return nil, fmt.Errorf("invalid state file: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid state file: trailing data after the JSON object")
	}
	if err := checkDecoded(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

func oracleProbeFormat(data []byte) int64 {
	var probe struct {
		Format int64 `json:"format"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return 0
	}
	return probe.Format
}

// oracleVerify is Verify's hashing as it was, for BenchmarkVerifyEncodingJSON.
func oracleVerify(r *Release) bool {
	prev := oracleSum(oracleHeaderJSON(r))
	for _, e := range r.Events {
		if e.Prev != prev || e.Hash != oracleSum(oracleEventJSON(e)) {
			return false
		}
		prev = e.Hash
	}
	return true
}

// gen makes releases with every shape the encoding has to get right.
type gen struct{ rnd *rand.Rand }

var genFragments = []string{
	"a", "Zz09", " ", "\"", "\\", "/", "'", "\n", "\r", "\t", "\b", "\f", "\x00", "\x01", "\x1b", "\x1f", "\x7f",
	"<", ">", "&", "<script>", "\u2028", "\u2029", "é", "µ", "€", "😀", "\U0010FFFF", "\ufffd", "\ufeff",
	"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\\u0041", "null", "https://x.example/?a=1&b=2",
}

func (g gen) str() string {
	if g.rnd.IntN(4) == 0 {
		return ""
	}
	var b strings.Builder
	for range g.rnd.IntN(6) + 1 {
		b.WriteString(genFragments[g.rnd.IntN(len(genFragments))])
	}
	return b.String()
}

func (g gen) strs() []string {
	switch g.rnd.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	s := make([]string, g.rnd.IntN(4)+1)
	for i := range s {
		s[i] = g.str()
	}
	return s
}

func (g gen) int64() int64 {
	switch g.rnd.IntN(6) {
	case 0:
		return 0
	case 1:
		return math.MaxInt64
	case 2:
		return math.MinInt64
	case 3:
		return -g.rnd.Int64N(1000)
	}
	return g.rnd.Int64() >> g.rnd.IntN(63)
}

var genZones = []*time.Location{
	time.UTC, time.Local, time.FixedZone("CET", 3600), time.FixedZone("", -(9*3600 + 30*60)),
	time.FixedZone("odd", 5*3600+45*60+7), time.FixedZone("far", 23*3600+59*60), time.FixedZone("west", -23*3600),
}

func (g gen) time() time.Time {
	switch g.rnd.IntN(10) {
	case 0:
		return time.Time{}
	case 1:
		return time.Now()
	case 2: // near and beyond the years encoding/json can write
		years := []int{-1, 0, 1, 9999, 10000, 12345}
		return time.Date(years[g.rnd.IntN(len(years))], time.Month(g.rnd.IntN(12)+1), g.rnd.IntN(31)+1,
			g.rnd.IntN(24), g.rnd.IntN(60), g.rnd.IntN(60), g.rnd.IntN(1e9), genZones[g.rnd.IntN(len(genZones))])
	}
	nanos := []int{0, 5, 120, 1000, 500000, 999999999, g.rnd.IntN(1e9)}
	return time.Unix(g.rnd.Int64N(1<<34)-1<<33, int64(nanos[g.rnd.IntN(len(nanos))])).In(genZones[g.rnd.IntN(len(genZones))])
}

func (g gen) duration() checklist.Duration {
	ds := []time.Duration{0, 1, -1, 1500, 90 * time.Second, 10 * time.Minute, time.Hour, 36*time.Hour + 1, 1500 * time.Microsecond, math.MinInt64, math.MaxInt64}
	if g.rnd.IntN(3) == 0 {
		return checklist.Duration(g.rnd.Int64() - g.rnd.Int64())
	}
	return checklist.Duration(ds[g.rnd.IntN(len(ds))])
}

func (g gen) release() *Release {
	r := &Release{
		Format: g.rnd.IntN(3) - 1,
		Serial: g.int64(),
		Meta: Meta{ID: g.str(), Version: g.str(), Type: g.str(), Parent: g.str(), Summary: g.str(),
			CreatedAt: g.time(), CreatedBy: g.str()},
		Checklist: checklist.Checklist{Name: g.str(), Description: g.str(), Source: g.str()},
	}
	if g.rnd.IntN(5) > 0 {
		r.Format = FormatVersion
	}
	if g.rnd.IntN(5) > 0 {
		r.Checklist.Phases = []checklist.Phase{}
	}
	for range g.rnd.IntN(4) {
		p := checklist.Phase{ID: g.str(), Title: g.str()}
		if g.rnd.IntN(5) > 0 {
			p.Items = []checklist.Item{}
		}
		for range g.rnd.IntN(4) {
			it := checklist.Item{ID: g.str(), Title: g.str(), Roles: g.strs(), Optional: g.rnd.IntN(2) == 0,
				Needs: g.strs(), Help: g.str()}
			if g.rnd.IntN(2) == 0 {
				it.Check = &checklist.Check{Run: g.str(), Timeout: g.duration()}
			}
			p.Items = append(p.Items, it)
		}
		r.Checklist.Phases = append(r.Checklist.Phases, p)
	}
	if g.rnd.IntN(5) > 0 {
		r.Events = []Event{}
	}
	for range g.rnd.IntN(5) {
		e := Event{Seq: int(g.int64()), Kind: g.str(), At: g.time(), Actor: g.str(), Role: g.str(), Item: g.str(),
			Note: g.str(), Reason: g.str(), Evidence: g.strs(), Forced: g.rnd.IntN(2) == 0, Status: g.str(),
			Link: g.str(), Prev: g.str(), Hash: g.str()}
		if g.rnd.IntN(2) == 0 {
			e.Check = &CheckResult{Command: g.str(), Passed: g.rnd.IntN(2) == 0, ExitCode: int(g.int64()),
				TimedOut: g.rnd.IntN(2) == 0, DurationMS: g.int64(), OutputSHA256: g.str(), OutputTail: g.str()}
		}
		r.Events = append(r.Events, e)
	}
	return r
}

// genReleases are the generated releases, the same on every run.
func genReleases(n int) []*Release {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	rs := make([]*Release, n)
	for i := range rs {
		rs[i] = g.release()
	}
	return rs
}

// TestEncodeMatchesEncodingJSON holds Encode and the hash inputs to the
// bytes encoding/json wrote, and their errors to its errors.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	n := 3000
	if raceEnabled || testing.Short() {
		n = 300
	}
	encoded, decoded := 0, 0
	for i, r := range genReleases(n) {
		want, werr := oracleEncode(r)
		got, err := Encode(r)
		if (err != nil) != (werr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("release %d: Encode is\n%s (error %v)\nencoding/json wrote\n%s (error %v)", i, got, err, want, werr)
		}

		want, werr = oracleHeaderJSON(r)
		e := encoder{}
		b := e.header(nil, r)
		if (e.Err() != nil) != (werr != nil) || werr == nil && !bytes.Equal(b, want) {
			t.Fatalf("release %d: header hashed as\n%s (error %v)\nencoding/json wrote\n%s (error %v)", i, b, e.Err(), want, werr)
		}
		if got, want := r.headerHash(), oracleSum(want, werr); got != want {
			t.Fatalf("release %d: header hash %q, want %q", i, got, want)
		}

		for j, e := range r.Events {
			want, werr := oracleEventJSON(e)
			enc := encoder{}
			b := enc.event(nil, &e, false)
			if (enc.Err() != nil) != (werr != nil) || werr == nil && !bytes.Equal(b, want) {
				t.Fatalf("release %d event %d: hashed as\n%s (error %v)\nencoding/json wrote\n%s (error %v)", i, j, b, enc.Err(), want, werr)
			}
			if got, want := eventHash(e), oracleSum(want, werr); got != want {
				t.Fatalf("release %d event %d: hash %q, want %q", i, j, got, want)
			}
		}

		if err == nil {
			encoded++
			if checkDecodeMatches(t, got) != nil {
				decoded++
			}
		}
	}
	t.Logf("%d releases: %d encode, %d of those decode", n, encoded, decoded)
	if encoded < n/2 || decoded < encoded/2 {
		t.Error("too few releases encode and decode to test much")
	}
}

// checkDecodeMatches holds Decode to encoding/json on data: what Decode
// accepts, encoding/json accepts as the same value; what encoding/json
// accepts, Decode accepts too unless a field repeats. When both reject it,
// it is for the same kind of reason.
func checkDecodeMatches(t *testing.T, data []byte) *Release {
	t.Helper()
	got, err := Decode(data)
	want, werr := oracleDecode(data)
	// encoding/json takes the last of repeated fields; Decode rejects them.
	stricter := err != nil && strings.Contains(err.Error(), "duplicate field")
	switch {
	case err == nil && werr != nil:
		t.Fatalf("Decode accepts what encoding/json rejects (%v):\n%q", werr, data)
	case err == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("Decode reads\n%#v\nencoding/json reads\n%#v\nfrom %q", got, want, data)
	case err != nil && werr == nil && !stricter:
		t.Fatalf("Decode rejects what encoding/json accepts: %v\n%q", err, data)
	case err != nil && werr != nil && !stricter && errorKind(err) != errorKind(werr):
		t.Fatalf("Decode error %q, encoding/json's %q", err, werr)
	}
	if got, want := probeFormat(data), oracleProbeFormat(data); got != want {
		t.Fatalf("probeFormat %d, encoding/json reads %d from %q", got, want, data)
	}
	return want
}

// errorKind is what Decode's caller can tell apart in its errors.
func errorKind(err error) string {
	msg := err.Error()
	for _, kind := range []string{"empty state file", "format missing", "trailing data"} {
		if strings.Contains(msg, kind) {
			return kind
		}
	}
	if strings.HasPrefix(msg, "invalid state file: created_at ") || strings.HasPrefix(msg, "invalid state file: event ") {
		return "time out of range"
	}
	if strings.HasPrefix(msg, "invalid state file: format ") {
		return "negative format"
	}
	if strings.HasPrefix(msg, "state written by a newer") {
		return msg
	}
	return "invalid"
}

// FuzzDecodeMatchesEncodingJSON holds Decode to encoding/json on any input
// (see checkDecodeMatches), and on the canonical encoding of anything
// encoding/json reads, which Decode must read and Encode must write back.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecode", "*"))
	if err != nil || len(seeds) == 0 {
		f.Fatal("no FuzzDecode seeds", err)
	}
	for _, path := range seeds {
		f.Add(readSeed(f, path))
	}
	for _, r := range append([]*Release{small(f), newTest(), signedRelease(f, 1)}, genReleases(20)...) {
		if data, err := Encode(r); err == nil {
			var compact bytes.Buffer
			if err := json.Compact(&compact, data); err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			f.Add(compact.Bytes())
		}
	}
	for _, s := range []string{
		`null`, ` null `, `[]`, `"x"`, `{"format":1} `, `{"format":1}{}`, `{"format":1,"format":1}`,
		`{"FORMAT":7}`, `{"Format":2,"x":[{"y":null}]}`, `{"format":5,"FORMAT":null}`, `{"format":"2"}`,
		`{"format":2.0}`, `{"format":-0}`, `{"format":1e0}`, `{"format":9223372036854775807}`,
		`{"format":9223372036854775808}`, `{"format":-9223372036854775808,"serial":-9223372036854775809}`,
		`{"format":01}`, `{"format":1,"serial":null,"release":null,"checklist":null,"events":null}`,
		`{"format":1,"events":[null,{}]}`, `{"format":1,"events":[]}`,
		`{"format":1,"checklist":{"phases":[null,{"items":[null,{"roles":[null,"a"],"needs":[],"check":null}]}]}}`,
		`{"format":1,"checklist":{"phases":[{"items":[{"check":{"run":"x","timeout":"1h30m"}}]}]}}`,
		`{"format":1,"checklist":{"phases":[{"items":[{"check":{"timeout":"\u0031m"}}]}]}}`,
		`{"format":1,"checklist":{"phases":[{"items":[{"check":{"timeout":null}}]}]}}`,
		`{"format":1,"checklist":{"phases":[{"items":[{"check":{"timeout":10}}]}]}}`,
		`{"format":1,"events":[{"check":{"exit_code":-1,"timed_out":true,"passed":null}}]}`,
		`{"format":1,"events":[{"evidence":null,"forced":false,"check":null}]}`,
		`{"format":1,"release":{"id":"\ud83d\ude00\ud800\udc00\ud800x\udc00\ud800\ud800\uDBFF\uDFFF\u00e9\/\b\f\n\r\t\"\\"}}`,
		`{"format":1,"release":{"id":"\ud800\u0041","summary":"` + "\xff\xed\xa0\x80\u2028<&>" + `"}}`,
		`{"format":1,"release":{"id":"\x"}}`, `{"format":1,"release":{"id":"` + "\x01" + `"}}`,
		`{"format":1,"release":{"created_at":"2026-11-25T10:00:00.123456789+05:30"}}`,
		`{"format":1,"release":{"created_at":"2026-11-25T10:00:00,5Z"}}`,
		`{"format":1,"release":{"created_at":"2026-11-25T1:00:00Z"}}`,
		`{"format":1,"release":{"created_at":"0000-01-01T00:00:00-01:00"}}`,
		`{"format":1,"release":{"created_at":"9999-12-31T23:59:59-01:00"}}`,
		`{"format":1,"release":{"created_at":"2026-11-25T10:00:00\u005a"}}`,
		`{"format":1,"release":{"created_at":null,"ID":"x","Created_At":"2026-11-25T10:00:00Z"}}`,
		`{"format":1,"ſerial":1,"checKlist":{"phaſes":[]}}`,
		`{"format":1,"events":[{"seq":1.5}]}`, `{"format":1,"events":[{"seq":true}]}`,
		`{"format":1,"events":[{"forced":"true"}]}`, `{"format":1,"events":[{"kind":1}]}`,
		`{"format":1,"events":[{},]}`, `{"format":1,}`, `{"format" 1}`, `{"format":1 "serial":2}`,
		`{"format":1,"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
		`{"format":2,"x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
		`{"format":2,"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		`{"format":2,"x":[1,-0,0.5,-1.5e+3,1E-2,true,false,null,"s",{"a":{}}]}`,
		`{"format":2,"x":[01]}`, `{"format":2,"x":[1.]}`, `{"format":2,"x":[-]}`, `{"format":2,"x":[.5]}`,
		`{"format":2,"x":nul}`, `{"format":2,"x":tru}`, `{"format":2,"x":`, `{"format":-}`, `{"format":2,"x":"\`,
		`{"format":1,"release":{"id":"ab`, `{"format":1,"release":{"id":"ab\`, `{"format":1,"release":{"id":"\u12`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := checkDecodeMatches(t, data)
		if want == nil {
			return
		}
		canon, err := oracleEncode(want)
		if err != nil {
			t.Fatalf("encoding/json cannot write what it read: %v", err)
		}
		back := checkDecodeMatches(t, canon)
		if back == nil {
			t.Fatalf("canonical encoding does not decode:\n%s", canon)
		}
		got, err := Decode(canon)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Encode(got)
		if err != nil || !bytes.Equal(again, canon) {
			t.Fatalf("round trip: Encode wrote\n%s (error %v)\nwant\n%s", again, err, canon)
		}
	})
}

// readSeed reads a file of the go fuzzing corpus holding one []byte.
func readSeed(tb testing.TB, path string) []byte {
	tb.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.SplitN(strings.TrimSpace(string(text)), "\n", 2)
	if len(lines) != 2 || lines[0] != "go test fuzz v1" ||
		!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
		tb.Fatalf("%s: not a []byte seed", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// The benchmarks of the encoding/json implementation, for comparison.

func BenchmarkDecodeEncodingJSON(b *testing.B) { benchDecode(b, oracleDecode) }
func BenchmarkEncodeEncodingJSON(b *testing.B) { benchEncode(b, oracleEncode) }
func BenchmarkVerifyEncodingJSON(b *testing.B) { benchVerify(b, oracleVerify) }

// TestEncodedSize: Encode's buffer fits a release as written, without much
// to spare.
func TestEncodedSize(t *testing.T) {
	for name, r := range map[string]*Release{"small": small(t), "busy": busy(t), "new": New(testMeta(), benchChecklist(10))} {
		data, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if n := encodedSize(r); n < len(data) || n > len(data)*13/10 {
			t.Errorf("%s: encodedSize %d for %d bytes", name, n, len(data))
		}
	}
}
