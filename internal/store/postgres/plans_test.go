package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/postgres/pgtest"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// TestPlansUseIndexes: with 20,000 other releases (most of them closed)
// and 60,000 of their events in the database, no statement a command runs
// about one release reads a table whole: each finds its rows through an
// index, so its cost does not depend on how many releases there are.
// (IDs lists every release by nature; OpenIDs reads only the open ones.)
func TestPlansUseIndexes(t *testing.T) {
	t.Parallel()
	sc := pgtest.NewSchema(t)
	s, err := Open(sc.DSN, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := storetest.NewRelease(t, "v1.0.0", storetest.ItemsChecklist(3))
	if err := s.Create(r); err != nil {
		t.Fatal(err)
	}
	if err := s.Update("v1.0.0", storetest.Sign(storetest.Item(0), "qa", "carol", storetest.Tick(1))); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(storetest.NewIncident(t, "v1.0.0", 1)); err != nil {
		t.Fatal(err)
	}
	// The others, made in bulk: what the planner sees is their number.
	for _, sql := range []string{
		`INSERT INTO releases (id, header) SELECT 'v0.' || i || '.0', '\x7b7d' FROM generate_series(1, 20000) AS i`,
		`INSERT INTO releases (id, parent, run, header) SELECT 'v0.' || i || '.0-incident-1', 'v0.' || i || '.0', 1, '\x7b7d'
			FROM generate_series(1, 20000, 10) AS i`,
		`INSERT INTO events (release_id, hash, file_name, kind, status, at, body)
			SELECT 'v0.' || i || '.0', md5(i || '/' || k) || md5(k || '/' || i), k || '-' || i || '.json',
				CASE WHEN k = 2 AND i % 20 <> 0 THEN 'status' ELSE 'sign' END,
				CASE WHEN k = 2 AND i % 20 <> 0 THEN 'released' END, now(), '\x7b7d'
			FROM generate_series(1, 20000) AS i, generate_series(0, 2) AS k`,
		`ANALYZE`,
	} {
		pgtest.Exec(t, sc.DSN, sql)
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, sc.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, tc := range []struct {
		name string
		sql  string
		args []any
	}{
		{"load", loadSQL, []any{"v1.0.0"}},
		{"load an incident run", loadSQL, []any{"v1.0.0-incident-1"}},
		{"a writer's load under the lock", deltaSQL, []any{[]string{"v1.0.0"}, []string{r.Events[0].Hash}, "v1.0.0"}},
		{"inspect", inspectSQL, []any{"v1.0.0"}},
		{"open ids", openIDsSQL, nil},
		{"in-doubt events", storedSQL, []any{"v1.0.0", []string{r.Events[0].Hash}}},
		{"in-doubt header", storedHeaderSQL, []any{"v1.0.0"}},
		{"lock holder", holderSQL, []any{"v1.0.0"}},
	} {
		rows, err := c.Query(ctx, "EXPLAIN "+tc.sql, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		plan := strings.Join(lines, "\n")
		for _, table := range []string{"releases", "events"} {
			if strings.Contains(plan, "Seq Scan on "+table) {
				t.Errorf("%s reads %s whole:\n%s", tc.name, table, plan)
			}
		}
		if tc.name == "open ids" && !strings.Contains(plan, "open_releases") {
			t.Errorf("open ids does not read open_releases:\n%s", plan)
		}
		t.Logf("%s:\n%s", tc.name, plan)
	}
	// And the answers are right among the many.
	got, err := s.Load("v1.0.0")
	if err != nil || len(got.Events) != 2 || len(got.Runs) != 1 {
		t.Fatalf("Load among the many: %v", err)
	}
	open, err := s.OpenIDs()
	if err != nil {
		t.Fatal(err)
	}
	// 1,000 of the 20,000 have no status event, and 2,000 incident runs.
	if len(open) != 2+1000+2000 {
		t.Errorf("%d open ids", len(open))
	}
}
