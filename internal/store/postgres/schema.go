package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octorelease/octorelease/internal/errs"
)

// The schema (docs/postgres.md). Every row of releases and events is
// written once and never changed: a trigger refuses UPDATE, DELETE and
// TRUNCATE even to the owner, and the everyday role is granted only SELECT
// and INSERT. The one derived table, open_releases, is kept by triggers
// that run as the schema's owner (SECURITY DEFINER), in the transaction of
// the insert that changes it, so it can never disagree with the events
// and the everyday role needs no UPDATE or DELETE grant for it.
//
//	schema_version  (version, applied_at, applied_by)   one row per migration applied
//	releases        (id, parent, run, header, stored_at)
//	                  id        release or incident-run id, COLLATE "C" (byte order, as sort.Strings)
//	                  parent    for <parent>-incident-<run>: the release it belongs to; indexed with run
//	                  header    release.json exactly as release.EncodeHeader wrote it
//	events          (release_id, hash, file_name, kind, status, at, body, stored_at)
//	                  primary key (release_id, hash): an event's hash is its key, and
//	                  the index every read of a release's events goes through
//	                  file_name unique per release: the name it has in a format-2 folder
//	                  kind, status  the event's kind, and a status event's new status
//	                  body      the event file exactly as release.EncodeEvent wrote it
//	open_releases   (id)  the releases with no released, aborted or rolled-back status
//	                  event, kept by the trigger on events that fires on those
//
// events.release_id has no foreign key: the store inserts the events of a
// release only in a transaction that holds the release's lock and has just
// read it, and a foreign key's check would cost every writer process
// (each a new server backend) about a millisecond of server CPU to plan.
// Nothing may delete a release.
//
// migrations[i] takes the schema from version i to i+1. A migration is
// never edited once released: a change is a new one. %[1]s is the schema's
// quoted name.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE schema_version (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now(),
	applied_by text NOT NULL DEFAULT current_user
);

CREATE TABLE releases (
	id        text COLLATE "C" PRIMARY KEY,
	parent    text COLLATE "C",
	run       integer,
	header    bytea NOT NULL,
	stored_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((parent IS NULL) = (run IS NULL))
);
CREATE UNIQUE INDEX releases_runs ON releases (parent, run) WHERE parent IS NOT NULL;

CREATE TABLE events (
	release_id text COLLATE "C" NOT NULL,
	hash       text COLLATE "C" NOT NULL,
	file_name  text COLLATE "C" NOT NULL,
	kind       text NOT NULL,
	status     text,
	at         timestamptz NOT NULL,
	body       bytea NOT NULL,
	stored_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (release_id, hash),
	UNIQUE (release_id, file_name)
);

CREATE TABLE open_releases (
	id text COLLATE "C" PRIMARY KEY REFERENCES releases (id)
);

CREATE FUNCTION octorelease_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'octorelease: rows of %% are immutable (%% refused)', TG_TABLE_NAME, TG_OP
		USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER releases_immutable BEFORE UPDATE OR DELETE ON releases
	FOR EACH ROW EXECUTE FUNCTION octorelease_immutable();
CREATE TRIGGER releases_no_truncate BEFORE TRUNCATE ON releases
	FOR EACH STATEMENT EXECUTE FUNCTION octorelease_immutable();
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
	FOR EACH ROW EXECUTE FUNCTION octorelease_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
	FOR EACH STATEMENT EXECUTE FUNCTION octorelease_immutable();

CREATE FUNCTION octorelease_opened() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = %[1]s, pg_temp AS $$
BEGIN
	INSERT INTO open_releases (id) VALUES (NEW.id);
	RETURN NULL;
END $$;
CREATE TRIGGER releases_opened AFTER INSERT ON releases
	FOR EACH ROW EXECUTE FUNCTION octorelease_opened();

CREATE FUNCTION octorelease_closed() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = %[1]s, pg_temp AS $$
BEGIN
	DELETE FROM open_releases WHERE id = NEW.release_id;
	RETURN NULL;
END $$;
CREATE TRIGGER events_closed AFTER INSERT ON events
	FOR EACH ROW WHEN (NEW.kind = 'status' AND NEW.status IN ('released', 'aborted', 'rolled-back'))
	EXECUTE FUNCTION octorelease_closed();
REVOKE ALL ON FUNCTION octorelease_opened() FROM PUBLIC;
REVOKE ALL ON FUNCTION octorelease_closed() FROM PUBLIC;
`,
}

// SchemaVersion is the schema version this build creates and works with.
var SchemaVersion = len(migrations)

// ensureSchema checks the schema version once per DB, and creates or
// upgrades the schema when it is older. A newer schema is refused: this
// build does not know what its rows mean.
func (d *db) ensureSchema(ctx context.Context, c *pgx.Conn) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ready {
		return nil
	}
	v, err := schemaVersion(ctx, c)
	if err != nil {
		return err
	}
	if v < SchemaVersion {
		if err := d.migrate(ctx, c); err != nil {
			return err
		}
	} else if v > SchemaVersion {
		return d.newerSchema(v)
	}
	d.ready = true
	return nil
}

func (d *db) newerSchema(v int) error {
	return errs.Runtimef("the octorelease schema in PostgreSQL (%s) is version %d, newer than this octorelease knows (%d): upgrade octorelease",
		d.where, v, SchemaVersion)
}

// schemaVersion is the highest migration applied, 0 for none (no
// schema_version table on the search path): one round trip.
func schemaVersion(ctx context.Context, c *pgx.Conn) (int, error) {
	var v int
	err := c.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v)
	if isCode(err, "42P01") { // undefined_table
		return 0, nil
	}
	return v, err
}

// migrate applies the missing migrations in one transaction, under an
// advisory lock, so that two first runs at once do it once.
func (d *db) migrate(ctx context.Context, c *pgx.Conn) (err error) {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx)
		}
	}()
	var schema *string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		return errs.Runtimef("PostgreSQL (%s): no schema to create the octorelease tables in: the search_path names none that exists", d.where)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('octorelease-migrate/' || $1::text, 0))`, *schema); err != nil {
		return err
	}
	// Another process may have migrated while this one waited. (No error
	// may end this transaction: the table is looked up first.)
	var exists bool
	v := 0
	err = tx.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists)
	if err == nil && exists {
		err = tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v)
	}
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return d.newerSchema(v)
	}
	quoted := pgx.Identifier{*schema}.Sanitize()
	for ; v < SchemaVersion; v++ {
		if _, err := tx.Exec(ctx, fmt.Sprintf(migrations[v], quoted)); err != nil {
			return d.migrationFailed(*schema, v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v+1); err != nil {
			return d.migrationFailed(*schema, v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return d.migrationFailed(*schema, v, err)
	}
	return nil
}

func (d *db) migrationFailed(schema string, from int, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42501" {
		what := "has no octorelease tables yet"
		if from > 0 {
			what = fmt.Sprintf("has the octorelease schema at version %d of %d", from, SchemaVersion)
		}
		return errs.Runtimef("PostgreSQL (%s): schema %s %s, and this role may not change it (%s): run octorelease once as the role that owns the schema (see docs/postgres.md)",
			d.where, schema, what, oneLine(pe.Message))
	}
	return errs.Runtimef("PostgreSQL (%s): migrating schema %s to version %d failed: %s", d.where, schema, from+1, d.clean(err))
}
