package release

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/jsonenc"
)

// Hand-written strict decoder for the state file: encoding/json took over
// 30 ms, mostly reflection, to read a 1,000-item release (1.6 MB), and a
// cold process built its type cache first; this takes a tenth. It reads the
// JSON grammar in full and gives each value the meaning encoding/json gives
// it (null leaves a field as it is and makes a list nil, [] is an empty
// list, strings are unescaped the same way, integers must be written as
// integers, times and durations are parsed by their own UnmarshalJSON
// rules); codec_test.go fuzzes it against encoding/json. It is stricter in
// two ways: unknown fields are errors, and so are repeated ones
// (encoding/json keeps the last).

// maxDepth is encoding/json's nesting limit; it matters only to probeFormat,
// which walks values of any shape.
const maxDepth = 10000

type decoder struct {
	data    []byte
	i       int
	field   string           // the field being decoded, for errors
	strs    []string         // scratch for string lists
	slab    []string         // what list has yet to hand out
	itemBuf []checklist.Item // scratch for a phase's items
	hash    string           // the hash of the last event, which the next one's prev repeats
	names   [256]string      // see intern
	// The last time read, as written and parsed: a sign-off of several
	// items is as many events at the same time.
	lastTimeText []byte
	lastTime     time.Time
}

// errorf reports a problem at byte offset at.
func (d *decoder) errorf(at int, format string, a ...any) error {
	line := 1 + bytes.Count(d.data[:at], []byte("\n"))
	col := at - bytes.LastIndexByte(d.data[:at], '\n')
	return fmt.Errorf("line %d, column %d (offset %d): %s", line, col, at, fmt.Sprintf(format, a...))
}

// valueErrorf reports a problem with the value of the field being read.
func (d *decoder) valueErrorf(at int, format string, a ...any) error {
	if d.field == "" { // the file itself
		return d.errorf(at, format, a...)
	}
	return d.errorf(at, "field %q: "+format, append([]any{d.field}, a...)...)
}

// found describes what is at d.i, for "expected X, found Y".
func (d *decoder) found() string { return d.foundAt(d.i) }

func (d *decoder) foundAt(i int) string {
	if i >= len(d.data) {
		return "end of file"
	}
	switch c := d.data[i]; {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c >= 0x20 && c < utf8.RuneSelf:
		return fmt.Sprintf("%q", c)
	default:
		return fmt.Sprintf("byte %#02x", c)
	}
}

// ws skips white space.
func (d *decoder) ws() {
	if d.i < len(d.data) && d.data[d.i] > ' ' {
		return
	}
	d.skipWS()
}

// skipWS skips white space; a file as written is a third indentation,
// skipped eight bytes at a time.
func (d *decoder) skipWS() {
	data := d.data
	i := d.i
	for i < len(data) {
		switch data[i] {
		case ' ', '\n', '\t', '\r':
		default:
			d.i = i
			return
		}
		i++
		for i+8 <= len(data) {
			n := bits.TrailingZeros64(binary.LittleEndian.Uint64(data[i:])^0x2020202020202020) / 8
			i += n
			if n < 8 {
				break
			}
		}
	}
	d.i = i
}

// literal consumes word (true, false or null) at d.i.
func (d *decoder) literal(word string) error {
	if string(d.data[d.i:min(d.i+len(word), len(d.data))]) != word {
		return d.errorf(d.i, "invalid literal, expected %s", word)
	}
	d.i += len(word)
	return nil
}

// typeError is what a value of the wrong type gets, except null: like
// encoding/json, null leaves the field as it is (zero: fields do not
// repeat).
func (d *decoder) typeError(want string) error {
	if d.i < len(d.data) && d.data[d.i] == 'n' {
		return d.literal("null")
	}
	return d.valueErrorf(d.i, "expected %s, found %s", want, d.found())
}

// open consumes the c ('{' or '[') that starts an object or array and
// reports true; for null it reports false, with no error.
func (d *decoder) open(c byte, want string) (bool, error) {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true, nil
	}
	return false, d.typeError(want)
}

// member moves to the name of the next member of an object, past the
// comma before it; false at the closing brace.
func (d *decoder) member(started *bool) (bool, error) {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return false, nil
	}
	if *started {
		if d.i >= len(d.data) || d.data[d.i] != ',' {
			return false, d.errorf(d.i, "expected ',' or '}' after a field, found %s", d.found())
		}
		d.i++
		d.ws()
	}
	*started = true
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return false, d.errorf(d.i, "expected a field name, found %s", d.found())
	}
	return true, nil
}

// colon reads the colon after a member's name.
func (d *decoder) colon() error {
	d.ws()
	if d.i >= len(d.data) || d.data[d.i] != ':' {
		return d.errorf(d.i, "expected ':' after a field name, found %s", d.found())
	}
	d.i++
	// As written, one space follows: skip it here rather than in ws.
	if d.i+1 < len(d.data) && d.data[d.i] == ' ' && d.data[d.i+1] > ' ' {
		d.i++
	}
	return nil
}

// object is the state of reading an object's fields.
type object struct {
	started bool
	seen    uint32 // fields read, by index
	next    int    // the index expected next
}

// key moves to the next field of an object and returns its index in names,
// or -1 at the closing brace.
func (d *decoder) key(o *object, names []string) (int, error) {
	if more, err := d.member(&o.started); err != nil || !more {
		return -1, err
	}
	// Files list fields in order: the name is nearly always one of those
	// after the last one read, written as it is.
	at := d.i
	f := -1
	for k := o.next; k < len(names); k++ {
		end := at + 1 + len(names[k])
		if end < len(d.data) && d.data[end] == '"' && string(d.data[at+1:end]) == names[k] {
			f = k
			d.i = end + 1
			break
		}
	}
	if f < 0 {
		name, err := d.text()
		if err != nil {
			return -1, err
		}
		// Like encoding/json, take a name in another case too (VerifyBytes
		// reports the file as not canonical).
		for k := range names {
			if strings.EqualFold(names[k], string(name)) {
				f = k
				break
			}
		}
		if f < 0 {
			return -1, d.errorf(at, "unknown field %q", name)
		}
	}
	if o.seen&(1<<f) != 0 {
		return -1, d.errorf(at, "duplicate field %q", names[f])
	}
	o.seen |= 1 << f
	o.next = f + 1
	d.field = names[f]
	return f, d.colon()
}

// elem moves to the next element of an array; false at the closing bracket.
func (d *decoder) elem(started *bool) (bool, error) {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return false, nil
	}
	if *started {
		if d.i >= len(d.data) || d.data[d.i] != ',' {
			return false, d.errorf(d.i, "expected ',' or ']' after an element, found %s", d.found())
		}
		d.i++
	}
	*started = true
	return true, nil
}

// text reads the string at d.i (its opening quote) and returns its text,
// unescaped as encoding/json does: a lone or invalid surrogate escape and
// each byte of invalid UTF-8 become U+FFFD. The text is part of data unless
// the string has escapes or invalid UTF-8.
func (d *decoder) text() ([]byte, error) {
	data := d.data
	start := d.i + 1
	i := start + jsonenc.PlainRun(data[start:])
	if i < len(data) && data[i] == '"' {
		d.i = i + 1
		return data[start:i], nil
	}
	return d.textSlow(start, i)
}

func (d *decoder) textSlow(start, i int) ([]byte, error) {
	data := d.data
	var buf []byte // nil while the text is part of data
	copied := start
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			d.i = i + 1
			if buf == nil {
				return data[start:i], nil
			}
			return append(buf, data[copied:i]...), nil
		case c == '\\':
			buf = append(buf, data[copied:i]...)
			if i+1 >= len(data) {
				return nil, d.errorf(i, "unterminated string")
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r := hex4(data[i+2:])
				if r < 0 {
					return nil, d.errorf(i, `invalid \u escape`)
				}
				if utf16.IsSurrogate(r) {
					// A valid pair is one rune; anything else U+FFFD, and
					// the escape after it is read on its own.
					r2 := rune(-1)
					if i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
						r2 = hex4(data[i+8:])
					}
					if r = utf16.DecodeRune(r, r2); r != utf8.RuneError {
						i += 6
					}
				}
				buf = utf8.AppendRune(buf, r)
				i += 4
			default:
				return nil, d.errorf(i, "invalid escape %q in string", data[i:i+2])
			}
			i += 2
			copied = i
		case c < 0x20:
			return nil, d.errorf(i, "control character %#02x in string (write it as an escape)", c)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, data[copied:i]...)
				buf = append(buf, "\uFFFD"...)
				copied = i + 1
			}
			i += size
		}
	}
	return nil, d.errorf(start-1, "unterminated string")
}

// intern returns b as a string, the same string for the same short text
// while it stays in a small cache: kinds, actors, roles, item ids and
// evidence links repeat from event to event.
func (d *decoder) intern(b []byte) string {
	if len(b) > 48 {
		return string(b)
	}
	var h uint64
	if len(b) >= 8 {
		h = binary.LittleEndian.Uint64(b) ^ binary.LittleEndian.Uint64(b[len(b)-8:])*0x9e3779b97f4a7c15
	} else {
		for _, c := range b {
			h = h<<8 | uint64(c)
		}
	}
	h = (h ^ uint64(len(b))) * 0x9e3779b97f4a7c15
	slot := &d.names[h>>56]
	if *slot != string(b) {
		*slot = string(b)
	}
	return *slot
}

// hex4 is the value of four hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// integer reads the number at d.i, which must be written as an integer (no
// fraction or exponent) and fit in an int64, as encoding/json requires of an
// integer field.
func (d *decoder) integer() (int64, error) {
	data := d.data
	start := d.i
	i := start
	neg := i < len(data) && data[i] == '-'
	if neg {
		i++
	}
	if i >= len(data) || data[i] < '0' || data[i] > '9' {
		return 0, d.errorf(i, "expected a digit, found %s", d.foundAt(i))
	}
	var u uint64
	digits := start
	if data[i] == '0' {
		i++
	} else {
		digits = i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			u = u*10 + uint64(data[i]-'0')
			i++
		}
	}
	if i < len(data) && (data[i] == '.' || data[i] == 'e' || data[i] == 'E') {
		return 0, d.valueErrorf(start, "expected an integer, found a number with a fraction or exponent")
	}
	// 19 digits cannot overflow a uint64; more cannot fit an int64.
	if i-digits > 19 || !neg && u > 1<<63-1 || neg && u > 1<<63 {
		return 0, d.valueErrorf(start, "number %s does not fit in 64 bits", data[start:i])
	}
	d.i = i
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

func (d *decoder) str(dst *string) error {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '"' {
		b, err := d.text()
		*dst = string(b)
		return err
	}
	return d.typeError("a string")
}

// name reads a string that is likely to repeat (see intern).
func (d *decoder) name(dst *string) error {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '"' {
		b, err := d.text()
		*dst = d.intern(b)
		return err
	}
	return d.typeError("a string")
}

func (d *decoder) int64(dst *int64) (err error) {
	d.ws()
	if d.i < len(d.data) && (d.data[d.i] == '-' || d.data[d.i] >= '0' && d.data[d.i] <= '9') {
		*dst, err = d.integer()
		return err
	}
	return d.typeError("an integer")
}

func (d *decoder) int(dst *int) error {
	var v int64
	d.ws()
	at := d.i
	if err := d.int64(&v); err != nil {
		return err
	}
	if int64(int(v)) != v {
		return d.valueErrorf(at, "number %d does not fit in an int", v)
	}
	*dst = int(v)
	return nil
}

func (d *decoder) bool(dst *bool) error {
	d.ws()
	if d.i < len(d.data) {
		switch d.data[d.i] {
		case 't':
			*dst = true
			return d.literal("true")
		case 'f':
			*dst = false
			return d.literal("false")
		}
	}
	return d.typeError("true or false")
}

// time reads a time as time.Time.UnmarshalJSON does: RFC 3339, from the
// string as written (escapes are not undone).
func (d *decoder) time(dst *time.Time) error {
	d.ws()
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return d.typeError("a time string")
	}
	at := d.i
	if _, err := d.text(); err != nil {
		return err
	}
	text := d.data[at:d.i]
	if d.lastTimeText != nil && string(text) == string(d.lastTimeText) {
		*dst = d.lastTime
		return nil
	}
	if err := dst.UnmarshalJSON(text); err != nil {
		return d.valueErrorf(at, "%v", err)
	}
	d.lastTimeText, d.lastTime = text, *dst
	return nil
}

// duration reads a checklist.Duration as its UnmarshalJSON does: a string
// like "10m"; "" and null are zero.
func (d *decoder) duration(dst *checklist.Duration) error {
	d.ws()
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return d.typeError(`a duration string like "10m"`)
	}
	at := d.i
	s, err := d.text()
	if err != nil {
		return err
	}
	if *dst, err = checklist.ParseDuration(string(s)); err != nil {
		return d.valueErrorf(at, "%v", err)
	}
	return nil
}

// strings reads a list of strings: null leaves it nil, [] makes it empty.
func (d *decoder) strings(dst *[]string) error {
	if ok, err := d.open('[', "an array of strings"); !ok {
		return err
	}
	d.strs = d.strs[:0]
	for started := false; ; {
		more, err := d.elem(&started)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		var s string
		if err := d.name(&s); err != nil {
			return err
		}
		d.strs = append(d.strs, s)
	}
	*dst = d.list()
	return nil
}

// list returns a copy of d.strs carved from a shared block: with a list
// each for roles, needs and evidence, lists were a third of the
// allocations. The copy's capacity is its length, so appending to it
// copies it rather than write into the block.
func (d *decoder) list() []string {
	n := len(d.strs)
	if n == 0 {
		return []string{}
	}
	if len(d.slab) < n {
		d.slab = make([]string, max(n, 256))
	}
	s := d.slab[:n:n]
	d.slab = d.slab[n:]
	copy(s, d.strs)
	return s
}

var releaseFields = []string{"format", "serial", "release", "checklist", "events"}

func (d *decoder) release(r *Release) error {
	if ok, err := d.open('{', "an object"); !ok {
		return err
	}
	var o object
	for {
		f, err := d.key(&o, releaseFields)
		if err != nil || f < 0 {
			return err
		}
		switch f {
		case 0:
			err = d.int(&r.Format)
		case 1:
			err = d.int64(&r.Serial)
		case 2:
			err = d.meta(&r.Meta)
		case 3:
			err = d.checklist(&r.Checklist)
		case 4:
			err = d.events(&r.Events)
		}
		if err != nil {
			return err
		}
	}
}

var metaFields = []string{"id", "version", "type", "parent", "summary", "created_at", "created_by"}

func (d *decoder) meta(m *Meta) error {
	if ok, err := d.open('{', "an object"); !ok {
		return err
	}
	var o object
	for {
		f, err := d.key(&o, metaFields)
		if err != nil || f < 0 {
			return err
		}
		switch f {
		case 0:
			err = d.str(&m.ID)
		case 1:
			err = d.str(&m.Version)
		case 2:
			err = d.str(&m.Type)
		case 3:
			err = d.str(&m.Parent)
		case 4:
			err = d.str(&m.Summary)
		case 5:
			err = d.time(&m.CreatedAt)
		case 6:
			err = d.str(&m.CreatedBy)
		}
		if err != nil {
			return err
		}
	}
}

var checklistFields = []string{"name", "description", "source", "phases"}

func (d *decoder) checklist(c *checklist.Checklist) error {
	if ok, err := d.open('{', "an object"); !ok {
		return err
	}
	var o object
	for {
		f, err := d.key(&o, checklistFields)
		if err != nil || f < 0 {
			return err
		}
		switch f {
		case 0:
			err = d.str(&c.Name)
		case 1:
			err = d.str(&c.Description)
		case 2:
			err = d.str(&c.Source)
		case 3:
			err = d.phases(&c.Phases)
		}
		if err != nil {
			return err
		}
	}
}

func (d *decoder) phases(dst *[]checklist.Phase) error {
	if ok, err := d.open('[', "an array"); !ok {
		return err
	}
	ps := []checklist.Phase{}
	for started := false; ; {
		more, err := d.elem(&started)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		ps = append(ps, checklist.Phase{})
		if err := d.phase(&ps[len(ps)-1]); err != nil {
			return err
		}
	}
	*dst = ps
	return nil
}

var phaseFields = []string{"id", "title", "items"}

func (d *decoder) phase(p *checklist.Phase) error {
	if ok, err := d.open('{', "an object"); !ok {
		return err
	}
	var o object
	for {
		f, err := d.key(&o, phaseFields)
		if err != nil || f < 0 {
			return err
		}
		switch f {
		case 0:
			err = d.str(&p.ID)
		case 1:
			err = d.str(&p.Title)
		case 2:
			err = d.items(&p.Items)
		}
		if err != nil {
			return err
		}
	}
}

func (d *decoder) items(dst *[]checklist.Item) error {
	if ok, err := d.open('[', "an array"); !ok {
		return err
	}
	// Read into scratch and copy: growing each phase's list from nothing
	// would allocate it several times over.
	d.itemBuf = d.itemBuf[:0]
	for started := false; ; {
		more, err := d.elem(&started)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		d.itemBuf = append(d.itemBuf, checklist.Item{})
		if err := d.item(&d.itemBuf[len(d.itemBuf)-1]); err != nil {
			return err
		}
	}
	*dst = make([]checklist.Item, len(d.itemBuf))
	copy(*dst, d.itemBuf)
	return nil
}

var itemFields = []string{"id", "title", "roles", "optional", "needs", "help", "check"}

func (d *decoder) item(it *checklist.Item) error {
	if ok, err := d.open('{', "an object"); !ok {
		return err
	}
	var o object
	for {
		f, err := d.key(&o, itemFields)
		if err != nil || f < 0 {
			return err
		}
		switch f {
		case 0:
			err = d.str(&it.ID)
		case 1:
			err = d.str(&it.Title)
		case 2:
			err = d.strings(&it.Roles)
		case 3:
			err = d.bool(&it.Optional)
		case 4:
			err = d.strings(&it.Needs)
		case 5:
			err = d.str(&it.Help)
		case 6:
			err = d.check(&it.Check)
		}
		if err != nil {
			return err
		}
	}
}

var checkFields = []string{"run", "timeout"}

// check reads an item's check: null leaves it nil.
func (d *decoder) check(dst **checklist.Check) error {
	if ok, err := d.open('{', "an object"); !ok {
		return err
	}
	c := new(checklist.Check)
	*dst = c
	var o object
	for {
		f, err := d.key(&o, checkFields)
		if err != nil || f < 0 {
			return err
		}
		switch f {
		case 0:
			err = d.str(&c.Run)
		case 1:
			err = d.duration(&c.Timeout)
		}
		if err != nil {
			return err
		}
	}
}

func (d *decoder) events(dst *[]Event) error {
	if ok, err := d.open('[', "an array"); !ok {
		return err
	}
	evs := []Event{}
	start := d.i
	for started := false; ; {
		more, err := d.elem(&started)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if len(evs) == 16 {
			// Make room for as many more events as the rest of the file
			// holds if they are the size of these (but at least 100 bytes,
			// as events as written are): 3,000 events would otherwise be
			// copied a dozen times and leave a third of the list unused.
			evs = slices.Grow(evs, (len(d.data)-d.i)/max((d.i-start)/16, 100))
		}
		evs = append(evs, Event{})
		if err := d.event(&evs[len(evs)-1]); err != nil {
			return err
		}
	}
	*dst = evs
	return nil
}

var eventFields = []string{"seq", "kind", "at", "actor", "role", "item", "note", "reason", "evidence",
	"forced", "status", "link", "check", "prev", "hash"}

func (d *decoder) event(e *Event) error {
	if ok, err := d.open('{', "an object"); !ok {
		return err
	}
	var o object
	for {
		f, err := d.key(&o, eventFields)
		if err != nil || f < 0 {
			return err
		}
		switch f {
		case 0:
			err = d.int(&e.Seq)
		case 1:
			err = d.name(&e.Kind)
		case 2:
			err = d.time(&e.At)
		case 3:
			err = d.name(&e.Actor)
		case 4:
			err = d.name(&e.Role)
		case 5:
			err = d.name(&e.Item)
		case 6:
			err = d.str(&e.Note)
		case 7:
			err = d.str(&e.Reason)
		case 8:
			err = d.strings(&e.Evidence)
		case 9:
			err = d.bool(&e.Forced)
		case 10:
			err = d.name(&e.Status)
		case 11:
			err = d.name(&e.Link)
		case 12:
			err = d.checkResult(&e.Check)
		case 13:
			err = d.prev(&e.Prev)
		case 14:
			err = d.str(&e.Hash)
			d.hash = e.Hash
		}
		if err != nil {
			return err
		}
	}
}

// prev reads an event's prev, which is the hash of the event before it
// unless the chain is broken: that string, not a copy.
func (d *decoder) prev(dst *string) error {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '"' {
		b, err := d.text()
		if string(b) == d.hash {
			*dst = d.hash
		} else {
			*dst = string(b)
		}
		return err
	}
	return d.typeError("a string")
}

var checkResultFields = []string{"command", "passed", "exit_code", "timed_out", "duration_ms", "output_sha256", "output_tail"}

// checkResult reads an event's check result: null leaves it nil.
func (d *decoder) checkResult(dst **CheckResult) error {
	if ok, err := d.open('{', "an object"); !ok {
		return err
	}
	c := new(CheckResult)
	*dst = c
	var o object
	for {
		f, err := d.key(&o, checkResultFields)
		if err != nil || f < 0 {
			return err
		}
		switch f {
		case 0:
			err = d.str(&c.Command)
		case 1:
			err = d.bool(&c.Passed)
		case 2:
			err = d.int(&c.ExitCode)
		case 3:
			err = d.bool(&c.TimedOut)
		case 4:
			err = d.int64(&c.DurationMS)
		case 5:
			err = d.str(&c.OutputSHA256)
		case 6:
			err = d.str(&c.OutputTail)
		}
		if err != nil {
			return err
		}
	}
}

// skip reads any value, at nesting depth depth if it is an object or array.
func (d *decoder) skip(depth int) error {
	d.ws()
	if d.i >= len(d.data) {
		return d.errorf(d.i, "expected a value, found end of file")
	}
	switch c := d.data[d.i]; {
	case c == '"':
		_, err := d.text()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '{' || c == '[':
		if depth > maxDepth {
			return d.errorf(d.i, "nested too deeply")
		}
		d.i++
		started := false
		for {
			if c == '[' {
				if more, err := d.elem(&started); err != nil || !more {
					return err
				}
			} else {
				if more, err := d.member(&started); err != nil || !more {
					return err
				}
				if _, err := d.text(); err != nil {
					return err
				}
				if err := d.colon(); err != nil {
					return err
				}
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
	default:
		return d.errorf(d.i, "expected a value, found %s", d.found())
	}
}

// number reads any JSON number.
func (d *decoder) number() error {
	data := d.data
	i := d.i
	digits := func() bool {
		n := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i > n
	}
	if data[i] == '-' {
		i++
	}
	if i < len(data) && data[i] == '0' {
		i++
	} else if !digits() {
		return d.errorf(i, "expected a digit, found %s", d.foundAt(i))
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			return d.errorf(i, "expected a digit, found %s", d.foundAt(i))
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			return d.errorf(i, "expected a digit, found %s", d.foundAt(i))
		}
	}
	d.i = i
	return nil
}

// probeFormat reads just the format of a file, leniently, as json.Unmarshal
// into a struct with one int64 field would: any other field of any type,
// the key in any case, the last one winning, null ignored; 0 if the file is
// not one JSON object or a format is not an integer.
func probeFormat(data []byte) int64 {
	d := decoder{data: data}
	d.ws()
	if d.i >= len(data) || data[d.i] != '{' {
		return 0
	}
	d.i++
	var format int64
	for started := false; ; {
		more, err := d.member(&started)
		if err != nil {
			return 0
		}
		if !more {
			break
		}
		name, err := d.text()
		if err != nil || d.colon() != nil {
			return 0
		}
		if !strings.EqualFold(string(name), "format") {
			err = d.skip(2)
		} else if d.ws(); d.i < len(data) && data[d.i] == 'n' {
			err = d.literal("null") // leaves the format as it was
		} else {
			err = d.int64(&format)
		}
		if err != nil {
			return 0
		}
	}
	if d.ws(); d.i != len(data) {
		return 0
	}
	return format
}
