// Package postgres keeps releases in PostgreSQL (SPEC §16): the same
// immutable, hash-linked events and write-once headers as the file store's
// folders (SPEC §6), one row each, with their exact bytes, behind the same
// store.Store interface and the same contract (storetest).
//
// Writers to one release serialise in the database: an Update is one
// transaction that takes a transaction-level advisory lock on the
// release (pg_advisory_xact_lock on a hash of the schema and the id), then
// loads the header and the events in a statement that starts after the
// lock was granted, so fn decides policy on a view no other writer can
// change, and inserts what fn recorded before it commits. An advisory
// lock, not SELECT ... FOR UPDATE, because a row lock needs UPDATE
// privilege and the everyday role has none. A writer killed at any moment
// leaves nothing: the server rolls its transaction back and drops its
// lock when the connection goes. Readers take no lock: each Load is one
// statement, so it reads one snapshot, and never waits for a writer.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// DSNEnv is the environment variable the DSN comes from (SPEC §16); it is
// never read from a file.
const DSNEnv = "OCTORELEASE_PG_DSN"

// DefaultApplicationName is the application_name of octorelease's
// connections when the DSN does not set one. While a writer holds a
// release's lock, its connection's application_name also names the actor,
// host and process, so that a writer that waits in vain can say who holds
// the lock, and pg_stat_activity shows who is writing.
const DefaultApplicationName = "octorelease"

const (
	defaultLockTimeout = 10 * time.Second
	connectTimeout     = 10 * time.Second
	// maxAttempts bounds the tries of a write whose connection was lost
	// before anything was stored.
	maxAttempts = 3
)

// Store is a store.Store over one PostgreSQL schema (the first of the
// DSN's search_path that exists, usually public).
type Store struct {
	d    *db
	opts store.Options
}

var _ store.Store = (*Store)(nil)

// db is what the stores of one DSN share: the connection pool, and whether
// the schema was checked.
type db struct {
	pool    *pgxpool.Pool
	where   string   // host, port, user and database, for messages: never the password
	name    string   // the database
	secrets []string // what a message must never show: the password
	appName string
	mu      sync.Mutex
	ready   bool // the schema is at SchemaVersion

	// cache holds what this process has read of each release. Rows are
	// never changed or deleted, so what was read once stays true: a writer
	// asks, under the lock, only for the rows added since, and decodes
	// only those (the header, the largest row, never again).
	cacheMu sync.Mutex
	cache   map[string]*known
}

// known is one release as this process has read it.
type known struct {
	header release.Header
	events []release.StoredEvent
}

// Open returns a store over the database dsn names (a keyword=value
// string or a postgres:// URL, as libpq takes). Nothing is connected until
// the store is used; the first use checks the schema, and creates or
// upgrades it when it is older than this build's.
func Open(dsn string, opts store.Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errs.Runtimef("%s does not parse as a PostgreSQL connection string: %s", DSNEnv, scrubDSN(innermost(err), dsn))
	}
	cc := cfg.ConnConfig
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = DefaultApplicationName
	}
	// One round trip per statement and no statement cache: a command runs
	// each of its few statements once.
	cc.DefaultQueryExecMode = pgx.QueryExecModeExec
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	cfg.MinConns = 0
	d := &db{
		where:   fmt.Sprintf("host=%s port=%d user=%s database=%s", cc.Host, cc.Port, cc.User, cc.Database),
		name:    cc.Database,
		appName: cc.RuntimeParams["application_name"],
	}
	if cc.Password != "" {
		d.secrets = append(d.secrets, cc.Password)
	}
	if d.pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
		return nil, errs.Runtimef("PostgreSQL (%s): %s", d.where, d.clean(err))
	}
	return &Store{d: d, opts: opts}, nil
}

// WithOptions returns a store with other options over the same connection
// pool.
func (s *Store) WithOptions(opts store.Options) *Store { return &Store{d: s.d, opts: opts} }

// Close closes the connections of the store and of every store made from
// it by WithOptions.
func (s *Store) Close() { s.d.pool.Close() }

// Where describes the database (host, port, user, database; never the
// password), for messages.
func (s *Store) Where() string { return s.d.where }

// acquire takes a connection, connecting if needed, and makes sure the
// schema is one this build works with.
func (d *db) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout+5*time.Second)
	c, err := d.pool.Acquire(cctx)
	cancel()
	if err != nil {
		return nil, d.connectError(err)
	}
	if err := d.ensureSchema(ctx, c.Conn()); err != nil {
		closed := c.Conn().IsClosed()
		c.Release()
		if errs.IsTyped(err) {
			return nil, err
		}
		if closed {
			// Lost before anything was written: a write may try again.
			return nil, &lostConn{d.connectError(err)}
		}
		return nil, errs.Runtimef("PostgreSQL (%s): checking the octorelease schema: %s", d.where, d.clean(err))
	}
	return c, nil
}

// The statements. Each names only indexed columns in its conditions: what
// a command costs depends on the release it touches, not on how many the
// database holds (TestPlansUseIndexes checks the plans).
const (
	// loadSQL reads a release and its incident runs, headers and events,
	// in one statement: one snapshot.
	loadSQL = `WITH rel AS (
	SELECT id, header FROM releases WHERE id = $1
	UNION ALL
	SELECT id, header FROM releases WHERE parent = $1
)
SELECT rel.id, rel.header, NULL::text, NULL::bytea FROM rel
UNION ALL
SELECT e.release_id, NULL, e.file_name, e.body FROM rel JOIN events e ON e.release_id = rel.id`

	// deltaSQL is loadSQL for a writer that knows some of the rows
	// already: releases $1 (their headers are not sent again) and events
	// $2 of release $3 and its runs.
	deltaSQL = `WITH rel AS (
	SELECT id, header FROM releases WHERE id = $3
	UNION ALL
	SELECT id, header FROM releases WHERE parent = $3
)
SELECT rel.id, CASE WHEN rel.id = ANY($1::text[]) THEN NULL ELSE rel.header END, NULL::text, NULL::bytea FROM rel
UNION ALL
SELECT e.release_id, NULL, e.file_name, e.body FROM rel JOIN events e ON e.release_id = rel.id
WHERE e.hash <> ALL($2::text[])`

	// inspectSQL reads one release's header and its events' rows whole.
	inspectSQL = `SELECT header, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bytea FROM releases WHERE id = $1
UNION ALL
SELECT NULL, hash, file_name, kind, status, body FROM events WHERE release_id = $1
ORDER BY 3 NULLS FIRST`

	idsSQL     = `SELECT id FROM releases ORDER BY id`
	openIDsSQL = `SELECT id FROM open_releases ORDER BY id`

	// lockKey is the advisory lock of release $1: a 64-bit hash of the
	// schema and the id (two ids sharing a hash only wait for each other).
	lockKey     = `hashtextextended(current_schema() || '/' || $1::text, 0)`
	lockSQL     = `SELECT pg_advisory_xact_lock(` + lockKey + `)`
	tryLockSQL  = `SELECT pg_try_advisory_xact_lock(` + lockKey + `)`
	settingsSQL = `SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true),
	set_config('idle_in_transaction_session_timeout', $3, true), set_config('application_name', $4, true)`

	// holderSQL names the backend that holds release $1's lock.
	holderSQL = `WITH k AS (SELECT ` + lockKey + ` AS k)
SELECT a.pid, coalesce(a.application_name, ''), a.xact_start
FROM k, pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
	AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND l.classid = ((k.k >> 32) & 4294967295)::oid AND l.objid = (k.k & 4294967295)::oid
LIMIT 1`

	insertReleaseSQL = `INSERT INTO releases (id, parent, run, header) VALUES ($1, $2, $3, $4)`
	insertEventsSQL  = `INSERT INTO events (release_id, hash, file_name, kind, status, at, body)
SELECT $1, u.hash, u.file_name, u.kind, nullif(u.status, ''), u.at, u.body
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bytea[])
	AS u(hash, file_name, kind, status, at, body)`
	storedSQL       = `SELECT count(*) FROM events WHERE release_id = $1 AND hash = ANY($2::text[])`
	storedHeaderSQL = `SELECT header FROM releases WHERE id = $1`
)

// binary asks for every result column in binary: bytea comes back as its
// bytes, not hex, and text as its bytes. (pgx's QueryExecModeExec would
// ask for text: the reads go to pgconn directly.)
var binary = []int16{pgx.BinaryFormatCode}

// Load reads release id and its incident runs without taking any lock.
func (s *Store) Load(id string) (*release.Release, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var r *release.Release
	err := s.read(func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		r, err = s.assemble(id, c.Conn().PgConn().ExecParams(ctx, loadSQL, [][]byte{[]byte(id)}, nil, nil, binary), nil)
		return err
	})
	return r, err
}

// read runs a reading function on a connection, once more on a new one if
// the connection was lost: a read has nothing to undo.
func (s *Store) read(fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	ctx := context.Background()
	for attempt := 1; ; attempt++ {
		c, err := s.d.acquire(ctx)
		var l *lostConn
		switch {
		case errors.As(err, &l) && attempt < 2:
			continue
		case errors.As(err, &l):
			return l.err
		case err != nil:
			return err
		}
		err = fn(ctx, c)
		closed := c.Conn().IsClosed()
		c.Release()
		switch {
		case err == nil || errs.IsTyped(err):
			return err
		case closed && attempt < 2:
			continue
		case closed:
			return s.d.lostError("reading", err)
		}
		return errs.Runtimef("PostgreSQL (%s): %s", s.d.where, s.d.clean(err))
	}
}

// rawRelease is a release as its rows hold it.
type rawRelease struct {
	header []byte          // as stored; nil when known is set
	known  *release.Header // decoded already (from the cache)
	events []release.StoredEvent
	bad    error // an event that does not parse
}

// assemble reads loadSQL's (or deltaSQL's) rows, binary: the stored
// bytes as they are, on top of what base holds already, into release id
// with its runs attached as the file store does: runs 1, 2, ... up to the
// first missing. What it builds is cached.
func (s *Store) assemble(id string, rr *pgconn.ResultReader, base map[string]*rawRelease) (*release.Release, error) {
	raws := map[string]*rawRelease{}
	for rr.NextRow() {
		v := rr.Values()
		if len(v) != 4 {
			continue
		}
		rid := string(v[0])
		raw := raws[rid]
		if raw == nil {
			raw = &rawRelease{}
			if b := base[rid]; b != nil {
				raw.known, raw.events = b.known, b.events
			}
			raws[rid] = raw
		}
		if v[2] == nil { // the header's row
			if v[1] != nil {
				raw.header, raw.known = slices.Clone(v[1]), nil
			}
			continue
		}
		name := string(v[2])
		e, err := release.DecodeEvent(v[3])
		if err != nil {
			if raw.bad == nil {
				raw.bad = fmt.Errorf("event %s does not parse: %w", name, err)
			}
			continue
		}
		raw.events = append(raw.events, release.StoredEvent{Name: name, Event: e})
	}
	if _, err := rr.Close(); err != nil {
		return nil, err
	}
	for _, raw := range raws {
		if raw.header == nil && raw.known == nil {
			raw.bad = errors.New("a known release sent no header") // cannot happen: rows are never deleted
		}
	}
	main := raws[id]
	if main == nil {
		return nil, s.notFound(id)
	}
	r, err := s.build(id, main)
	if err != nil {
		return nil, err
	}
	if r.Meta.Parent == "" {
		for n := 1; ; n++ {
			rid := release.IncidentID(id, n)
			raw := raws[rid]
			if raw == nil {
				break
			}
			run, err := s.build(rid, raw)
			if err != nil {
				return nil, err
			}
			r.Runs = append(r.Runs, run)
		}
	}
	return r, nil
}

// build decodes and assembles one release's rows; damage is an error, as
// in the file store.
func (s *Store) build(id string, raw *rawRelease) (*release.Release, error) {
	var h release.Header
	if raw.known != nil {
		h = *raw.known
	} else {
		var err error
		if h, err = release.DecodeHeader(raw.header); err != nil {
			return nil, s.unparsable(id, "its header", err)
		}
		if h.Meta.ID != id {
			return nil, s.unparsable(id, "its header", fmt.Errorf("it holds release %q", clip(h.Meta.ID, 64)))
		}
	}
	if raw.bad != nil {
		return nil, s.unparsable(id, "an event", raw.bad)
	}
	sort.Slice(raw.events, func(i, j int) bool { return raw.events[i].Name < raw.events[j].Name })
	r, damage := release.Assemble(h, raw.events)
	if len(damage) == 0 {
		s.d.remember(id, h, raw.events)
	}
	if len(damage) > 0 {
		return nil, &store.DamagedError{ID: id, Damage: damage}
	}
	return r, nil
}

// remember caches release id as read: its header and events.
func (d *db) remember(id string, h release.Header, events []release.StoredEvent) {
	d.cacheMu.Lock()
	defer d.cacheMu.Unlock()
	if d.cache == nil {
		d.cache = map[string]*known{}
	}
	d.cache[id] = &known{header: deepCopy(h), events: deepCopy(events)}
}

// stored adds events a write of this process stored to the cache.
func (d *db) stored(id string, events []release.Event) {
	d.cacheMu.Lock()
	defer d.cacheMu.Unlock()
	k := d.cache[id]
	if k == nil {
		return
	}
	more := slices.Clone(k.events)
	for _, e := range events {
		more = append(more, release.StoredEvent{Name: e.FileName(), Event: deepCopy(e)})
	}
	d.cache[id] = &known{header: k.header, events: more}
}

// knownOf is what the cache holds of release id and its runs, nil when it
// does not hold the release itself.
func (d *db) knownOf(id string) map[string]*rawRelease {
	d.cacheMu.Lock()
	defer d.cacheMu.Unlock()
	k := d.cache[id]
	if k == nil {
		return nil
	}
	out := map[string]*rawRelease{id: k.raw()}
	for n := 1; ; n++ {
		rid := release.IncidentID(id, n)
		run := d.cache[rid]
		if run == nil {
			return out
		}
		out[rid] = run.raw()
	}
}

// raw is a copy of k to build a release from.
func (k *known) raw() *rawRelease {
	h := deepCopy(k.header)
	return &rawRelease{known: &h, events: deepCopy(k.events)}
}

// textArray is a text[] literal of values that need no escaping (ids and
// hashes).
func textArray(vals []string) []byte {
	b := []byte{'{'}
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, v...)
		b = append(b, '"')
	}
	return append(b, '}')
}

func (s *Store) notFound(id string) error {
	return &store.NotFoundError{ID: id, In: "PostgreSQL database " + s.d.name}
}

func (s *Store) unparsable(id, what string, cause error) error {
	return errs.Runtimef("release %s in PostgreSQL database %s: %s does not parse", id, s.d.name, what).Wrap(cause)
}

// Inspect is for `audit verify`: every problem of release id's rows, not
// only the first. Every hash is computed again from the stored bytes; a
// row whose bytes are not what octorelease writes, or whose indexed
// columns disagree with its content, is damage too.
func (s *Store) Inspect(id string) (*release.Release, []release.Damage, error) {
	if err := checkID(id); err != nil {
		return nil, nil, err
	}
	var (
		header []byte
		found  bool
		rows   []eventRow
	)
	err := s.read(func(ctx context.Context, c *pgxpool.Conn) error {
		header, found, rows = nil, false, nil
		rr := c.Conn().PgConn().ExecParams(ctx, inspectSQL, [][]byte{[]byte(id)}, nil, nil, binary)
		for rr.NextRow() {
			v := rr.Values()
			if len(v) != 6 {
				continue
			}
			if v[1] == nil { // the header's row
				header, found = slices.Clone(v[0]), true
				continue
			}
			rows = append(rows, eventRow{hash: string(v[1]), name: string(v[2]), kind: string(v[3]),
				status: string(v[4]), body: slices.Clone(v[5])})
		}
		_, err := rr.Close()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, s.notFound(id)
	}
	h, err := release.DecodeHeader(header)
	if err != nil {
		return nil, nil, s.unparsable(id, "its header", err)
	}
	if h.Meta.ID != id {
		return nil, nil, s.unparsable(id, "its header", fmt.Errorf("it holds release %q", clip(h.Meta.ID, 64)))
	}
	var damage []release.Damage
	if canon, _ := release.EncodeHeader(h); string(canon) != string(header) {
		damage = append(damage, release.Damage{File: "release.json", Problem: "not in the form octorelease writes (edited in the database?)"})
	}
	events := make([]release.StoredEvent, 0, len(rows))
	for _, row := range rows {
		file := "events/" + row.name
		e, err := release.DecodeEvent(row.body)
		if err != nil {
			damage = append(damage, release.Damage{File: file, Problem: fmt.Sprintf("does not parse: %v", err)})
			continue
		}
		if canon, _ := release.EncodeEvent(e); string(canon) != string(row.body) {
			damage = append(damage, release.Damage{File: file, Problem: "not in the form octorelease writes (edited in the database?)"})
		}
		if row.hash != e.Hash || row.kind != e.Kind || row.status != statusOf(e) {
			damage = append(damage, release.Damage{File: file,
				Problem: "the row's hash, kind or status column does not match its content (edited in the database?)"})
		}
		events = append(events, release.StoredEvent{Name: row.name, Event: e})
	}
	r, more := release.Assemble(h, events)
	for _, d := range more {
		if d.File != "" && d.File != "release.json" {
			d.File = "events/" + d.File
		}
		damage = append(damage, d)
	}
	return r, damage, nil
}

type eventRow struct {
	hash, name, kind, status string
	body                     []byte
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// statusOf is the status column of an event: the new status of a status
// event, empty for the others.
func statusOf(e release.Event) string {
	if e.Kind == release.EventStatus {
		return e.Status
	}
	return ""
}

// IDs lists every release id, in byte order.
func (s *Store) IDs() ([]string, error) { return s.ids(idsSQL) }

// OpenIDs lists the releases that have no closing status event (released,
// aborted, rolled back), from the table the triggers keep: its cost
// depends on the open releases only.
func (s *Store) OpenIDs() ([]string, error) { return s.ids(openIDsSQL) }

func (s *Store) ids(sql string) ([]string, error) {
	var ids []string
	err := s.read(func(ctx context.Context, c *pgxpool.Conn) error {
		ids = nil
		rows, err := c.Query(ctx, sql)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return ids, err
}

// encoded are events as their rows hold them.
type encoded struct {
	hashes, names, kinds, statuses []string
	ats                            []time.Time
	bodies                         [][]byte
}

// encode checks every event against the reader's limit before anything is
// written, so a refused one leaves nothing behind.
func encode(events []release.Event) (*encoded, error) {
	out := &encoded{}
	for _, e := range events {
		data, err := release.EncodeEvent(e)
		if err != nil {
			return nil, err
		}
		if len(data) > release.MaxEventSize {
			return nil, fmt.Errorf("the %s event would be %d bytes, over the %d-byte limit", e.Kind, len(data), release.MaxEventSize)
		}
		out.hashes = append(out.hashes, e.Hash)
		out.names = append(out.names, e.FileName())
		out.kinds = append(out.kinds, e.Kind)
		out.statuses = append(out.statuses, statusOf(e))
		out.ats = append(out.ats, e.At)
		out.bodies = append(out.bodies, data)
	}
	return out, nil
}

func (e *encoded) queue(b *pgx.Batch, id string) {
	b.Queue(insertEventsSQL, id, e.hashes, e.names, e.kinds, e.statuses, e.ats, e.bodies)
}

// lostConn is a write that lost its connection with nothing stored: it
// may be tried again.
type lostConn struct{ err error }

func (l *lostConn) Error() string { return l.err.Error() }
func (l *lostConn) Unwrap() error { return l.err }

// Create stores a new release, its header and its pending events, in one
// transaction: it appears whole or not at all. It fails with a usage error
// if the id is taken.
func (s *Store) Create(r *release.Release) error {
	id := r.Meta.ID
	if err := checkID(id); err != nil {
		return err
	}
	header, err := release.EncodeHeader(r.Header)
	if err != nil {
		return errs.Runtimef("encode release %s", id).Wrap(err)
	}
	if len(header) > release.MaxHeaderSize {
		return errs.Runtimef("release %s: the header would be %d bytes, over the %d-byte limit", id, len(header), release.MaxHeaderSize)
	}
	ev, err := encode(r.Pending())
	if err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	var parent *string
	var run *int32
	if p, n, ok := release.ParseIncidentID(id); ok {
		n32 := int32(n)
		parent, run = &p, &n32
	}
	err = s.retry(func(ctx context.Context) error {
		c, err := s.d.acquire(ctx)
		if err != nil {
			return err
		}
		defer c.Release()
		b := &pgx.Batch{}
		// One implicit transaction: the batch commits at its end.
		b.Queue(lockSQL, id)
		b.Queue(insertReleaseSQL, id, parent, run, header)
		if len(ev.hashes) > 0 {
			ev.queue(b, id)
		}
		writeDelay()
		err = c.SendBatch(ctx, b).Close()
		switch {
		case err == nil:
			return nil
		case isUnique(err, "releases_pkey"), isUnique(err, "releases_runs"):
			return s.exists(id)
		case c.Conn().IsClosed():
			return s.createInDoubt(ctx, id, header, err)
		}
		return s.writeFailed("create release", id, err)
	})
	if err != nil {
		return err
	}
	r.MarkStored()
	return nil
}

// createInDoubt decides, after a lost connection, whether the create was
// stored: under the release's lock (so the old transaction is over), the
// header is there, or it is not and the create may be tried again.
func (s *Store) createInDoubt(ctx context.Context, id string, header []byte, cause error) error {
	var got []byte
	err := s.underLock(ctx, id, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, storedHeaderSQL, id).Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	switch {
	case err != nil:
		return s.inDoubt(id, cause)
	case got == nil:
		return &lostConn{cause}
	case string(got) == string(header):
		return nil
	}
	return s.exists(id)
}

func (s *Store) exists(id string) error {
	return errs.Usagef("release %s already exists in PostgreSQL database %s", id, s.d.name)
}

// Update locks release id, loads it, calls fn and stores the events fn
// recorded, in one transaction. If fn fails nothing is stored and fn's
// error is returned. If the connection is lost before the transaction
// committed, the whole of it is tried again on a new connection (fn is
// called again, on the release as it is then), up to maxAttempts times;
// if it is lost while committing, whether the events were stored is
// found out first.
func (s *Store) Update(id string, fn func(r *release.Release) error) error {
	if err := checkID(id); err != nil {
		return err
	}
	return s.retry(func(ctx context.Context) error { return s.update(ctx, id, fn) })
}

func (s *Store) update(ctx context.Context, id string, fn func(r *release.Release) error) error {
	// Read the release first, without the lock (the command that calls
	// Update has usually read it already): under the lock only the rows
	// added since are sent and decoded, which keeps the time a writer
	// holds the lock short.
	base := s.d.knownOf(id)
	if base == nil {
		if _, err := s.Load(id); err != nil {
			return err
		}
		if base = s.d.knownOf(id); base == nil {
			base = map[string]*rawRelease{}
		}
	}
	var ids, hashes []string
	for rid, raw := range base {
		ids = append(ids, rid)
		for _, e := range raw.events {
			hashes = append(hashes, e.Event.Hash)
		}
	}
	c, err := s.d.acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// Never give a connection back inside a transaction: roll back
		// (the pool would close it otherwise, which rolls back too).
		if !c.Conn().IsClosed() {
			rollback(ctx, c)
		}
		c.Release()
	}()
	lost := func(err error) error {
		if c.Conn().IsClosed() {
			return &lostConn{err}
		}
		return s.writeFailed("update release", id, err)
	}
	timeout := s.opts.LockTimeout
	if timeout == 0 {
		timeout = defaultLockTimeout
	}
	lockStmt := lockSQL
	if timeout < 0 {
		lockStmt = tryLockSQL
	}
	text := func(vals ...string) [][]byte {
		out := make([][]byte, len(vals))
		for i, v := range vals {
			out[i] = []byte(v)
		}
		return out
	}
	// One round trip: begin, the settings, the lock, the load. READ
	// COMMITTED: the load's snapshot is taken after the lock was granted,
	// so it sees every write that held the lock before.
	b := &pgconn.Batch{}
	b.ExecParams("BEGIN", nil, nil, nil, nil)
	b.ExecParams(settingsSQL, text(millis(max(timeout, 0)), millis(max(timeout, 0)+time.Minute),
		millis(2*time.Minute), s.writerName()), nil, nil, nil)
	b.ExecParams(lockStmt, text(id), nil, nil, nil)
	b.ExecParams(deltaSQL, [][]byte{textArray(ids), textArray(hashes), []byte(id)}, nil, nil, binary)
	mrr := c.Conn().PgConn().ExecBatch(ctx, b)
	var r *release.Release
	err = func() error {
		for step := 0; step < 4; step++ {
			if !mrr.NextResult() {
				return errors.New("the server sent fewer results than statements")
			}
			rr := mrr.ResultReader()
			switch step {
			case 2:
				ok := true
				for rr.NextRow() {
					ok = string(rr.Values()[0]) != "f"
				}
				if _, err := rr.Close(); err != nil {
					return err
				}
				if !ok {
					return errLocked
				}
			case 3:
				var err error
				r, err = s.assemble(id, rr, base)
				return err
			default:
				if _, err := rr.Close(); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if cerr := mrr.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, errLocked) || isCode(err, "55P03") { // lock_not_available: lock_timeout
			rollback(ctx, c)
			return s.lockedError(ctx, c, id)
		}
		if errs.IsTyped(err) {
			return err
		}
		return lost(err)
	}
	pending, err := store.Apply(id, r, fn)
	if err != nil || len(pending) == 0 {
		return err
	}
	ev, err := encode(pending)
	if err != nil {
		return errs.Runtimef("update release %s", id).Wrap(err)
	}
	writeDelay()
	wb := &pgx.Batch{}
	ev.queue(wb, id)
	wb.Queue("COMMIT")
	if err := c.SendBatch(ctx, wb).Close(); err != nil {
		if c.Conn().IsClosed() {
			return s.updateInDoubt(ctx, id, ev.hashes, err)
		}
		return s.writeFailed("update release", id, err)
	}
	r.MarkStored()
	s.d.stored(id, pending)
	return nil
}

var errLocked = errors.New("locked")

// updateInDoubt decides, after the connection was lost with the commit
// sent, whether the events were stored: under the release's lock (so the
// old transaction is over, committed or rolled back) they are all there,
// or none is and the update may be tried again.
func (s *Store) updateInDoubt(ctx context.Context, id string, hashes []string, cause error) error {
	var n int
	err := s.underLock(ctx, id, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, storedSQL, id, hashes).Scan(&n)
	})
	switch {
	case err != nil:
		return s.inDoubt(id, err)
	case n == 0:
		return &lostConn{cause}
	case n == len(hashes):
		return nil
	}
	return s.inDoubt(id, cause)
}

// underLock runs fn in a transaction that holds release id's lock, on a
// new connection if the one it used was lost.
func (s *Store) underLock(ctx context.Context, id string, fn func(tx pgx.Tx) error) error {
	var err error
	for range maxAttempts {
		var closed bool
		if closed, err = s.underLock1(ctx, id, fn); err == nil || !closed {
			return err
		}
	}
	return err
}

func (s *Store) underLock1(ctx context.Context, id string, fn func(tx pgx.Tx) error) (closed bool, err error) {
	c, err := s.d.acquire(ctx)
	if err != nil {
		var l *lostConn
		return errors.As(err, &l), err
	}
	defer c.Release()
	err = func() error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback(ctx) }()
		timeout := max(s.opts.LockTimeout, defaultLockTimeout)
		if _, err := tx.Exec(ctx, `SELECT set_config('lock_timeout', $1, true)`, millis(timeout)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, lockSQL, id); err != nil {
			return err
		}
		return fn(tx)
	}()
	return err != nil && c.Conn().IsClosed(), err
}

func (s *Store) inDoubt(id string, cause error) error {
	return &store.InDoubtError{ID: id, Backend: "PostgreSQL", Cause: clip(s.d.clean(cause), 160)}
}

// retry runs a write, again while it lost its connection with nothing
// stored.
func (s *Store) retry(write func(ctx context.Context) error) error {
	ctx := context.Background()
	var l *lostConn
	for attempt := 1; ; attempt++ {
		err := write(ctx)
		if !errors.As(err, &l) {
			return err
		}
		if attempt == maxAttempts {
			return s.d.lostError(fmt.Sprintf("writing (%d tries; nothing was stored)", attempt), l.err)
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
}

func (d *db) lostError(doing string, err error) error {
	return errs.Runtimef("the connection to PostgreSQL (%s) was lost while %s: %s", d.where, doing, d.clean(err))
}

func (s *Store) writeFailed(what, id string, err error) error {
	return errs.Runtimef("%s %s in PostgreSQL (%s): %s", what, id, s.d.where, s.d.clean(err))
}

// lockedError names the writer holding release id's lock, as far as
// pg_stat_activity tells it.
func (s *Store) lockedError(ctx context.Context, c *pgxpool.Conn, id string) error {
	who := "another writer"
	var pid int
	var app string
	var since *time.Time
	if err := c.QueryRow(ctx, holderSQL, id).Scan(&pid, &app, &since); err == nil {
		who = fmt.Sprintf("PostgreSQL backend %d", pid)
		if strings.HasPrefix(app, s.d.appName+": ") {
			who = strings.TrimPrefix(app, s.d.appName+": ") + fmt.Sprintf(" (PostgreSQL backend %d)", pid)
		}
		if since != nil {
			who += " since " + since.UTC().Format(time.RFC3339)
		}
	}
	return &store.LockedError{Release: id, Holder: who}
}

// writerName is the application_name a writer's connection has while it
// writes: the actor, host and process, in at most 63 printable ASCII
// bytes (what PostgreSQL keeps).
func (s *Store) writerName() string {
	host, _ := os.Hostname()
	actor := s.opts.Actor
	if actor == "" {
		actor = "a writer"
	}
	name := fmt.Sprintf("%s: %s on %s (pid %d)", s.d.appName, actor, host, os.Getpid())
	b := []byte(name)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	return string(b)
}

func rollback(ctx context.Context, c *pgxpool.Conn) {
	if c.Conn().PgConn().TxStatus() != 'I' {
		_, _ = c.Exec(ctx, "ROLLBACK")
	}
}

func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == constraint
}

// checkID accepts what the file store accepts: one rule for every backend.
func checkID(id string) error { return store.CheckID(id) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
