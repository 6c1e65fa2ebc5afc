package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
)

// goose keeps the schema version in this table; each side has its own.
const versionTable = "goose_db_version"

// seededTables are filled by the migrations themselves (the reference
// crossings and categories, the plausibility limits, the exchange rates
// and customs revenue the cost model assumes), so a freshly
// migrated database holds rows there and nowhere else. A test checks the
// list against a freshly migrated PostgreSQL.
var seededTables = []string{"crossings", "cargo_categories", "plausibility_limits", "exchange_rates", "crossing_assumptions"}

// SchemaVersion is the latest schema version this binary carries.
func SchemaVersion() int64 {
	latest := referenceDataMigration(DialectSQLite).Version
	entries, _ := fs.ReadDir(migrationFiles, "migrations/"+DialectSQLite)
	for _, e := range entries {
		if v, err := goose.NumericComponent(e.Name()); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// TableCount is how many rows a table holds and a checksum of them.
type TableCount struct {
	Table string
	Rows  int64
	// Sum is a SHA-256 over every row, in a form that is the same on both
	// dialects (booleans, instants to the microsecond, dates, numbers), and
	// independent of row and column order.
	Sum string
}

// column is a column's name and the kind of value it holds on either dialect.
type column struct{ name, kind string }

// Kinds of column values, shared by both dialects.
const (
	kindInt   = "int"
	kindFloat = "float"
	kindBool  = "bool"
	kindTime  = "time"
	kindDate  = "date"
	kindBytes = "bytes"
	kindText  = "text"
)

// table is a table's columns and the tables its foreign keys point to.
type table struct {
	name       string
	columns    []column
	references []string
}

// querier is a database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// describeTables reads every table of borderflow's schema from the
// database's own catalogue, so that a table added by a later migration is
// copied and counted without anyone listing it.
func describeTables(ctx context.Context, q querier, dialect string) (map[string]*table, error) {
	tables := map[string]*table{}
	if dialect == DialectPostgres {
		rows, err := q.QueryContext(ctx, `SELECT c.table_name, c.column_name, c.data_type
			FROM information_schema.columns c JOIN information_schema.tables t
			  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> $1
			ORDER BY c.table_name, c.ordinal_position`, versionTable)
		if err != nil {
			return nil, fmt.Errorf("read the PostgreSQL schema: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var name, col, dataType string
			if err := rows.Scan(&name, &col, &dataType); err != nil {
				return nil, err
			}
			if tables[name] == nil {
				tables[name] = &table{name: name}
			}
			tables[name].columns = append(tables[name].columns, column{col, postgresKind(dataType)})
		}
		return tables, rows.Err()
	}
	names, err := queryStrings(ctx, q, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> ? ORDER BY name`, versionTable)
	if err != nil {
		return nil, fmt.Errorf("read the embedded database's schema: %w", err)
	}
	for _, name := range names {
		t := &table{name: name}
		rows, err := q.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?) ORDER BY cid`, name)
		if err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", name, err)
		}
		for rows.Next() {
			var col, declared string
			if err := rows.Scan(&col, &declared); err != nil {
				rows.Close()
				return nil, err
			}
			t.columns = append(t.columns, column{col, sqliteKind(declared)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if t.references, err = queryStrings(ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, name); err != nil {
			return nil, fmt.Errorf("read the foreign keys of %s: %w", name, err)
		}
		tables[name] = t
	}
	return tables, nil
}

func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func postgresKind(dataType string) string {
	switch dataType {
	case "smallint", "integer", "bigint":
		return kindInt
	case "real", "double precision", "numeric":
		return kindFloat
	case "boolean":
		return kindBool
	case "timestamp with time zone", "timestamp without time zone":
		return kindTime
	case "date":
		return kindDate
	case "bytea":
		return kindBytes
	}
	return kindText
}

func sqliteKind(declared string) string {
	switch strings.ToUpper(declared) {
	case "INTEGER", "INT", "BIGINT":
		return kindInt
	case "REAL", "DOUBLE", "NUMERIC":
		return kindFloat
	case "BOOLEAN":
		return kindBool
	case "DATETIME", "TIMESTAMP":
		return kindTime
	case "DATE":
		return kindDate
	case "BLOB":
		return kindBytes
	}
	return kindText
}

// dependencyOrder lists the tables so that each comes after every table
// its foreign keys point to (alphabetically among equals).
func dependencyOrder(tables map[string]*table) ([]string, error) {
	var order []string
	done := map[string]bool{}
	for len(order) < len(tables) {
		var ready []string
		for name, t := range tables {
			if done[name] {
				continue
			}
			if !slices.ContainsFunc(t.references, func(r string) bool { return r != name && !done[r] }) {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			return nil, errors.New("the tables' foreign keys form a cycle, so no copy order exists")
		}
		slices.Sort(ready)
		for _, name := range ready {
			done[name] = true
		}
		order = append(order, ready...)
	}
	return order, nil
}

// TableCounts counts and checksums every table of db's schema, by name.
// The same data gives the same counts on SQLite and PostgreSQL.
func TableCounts(ctx context.Context, db *gorm.DB) ([]TableCount, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	return tableCounts(ctx, sqlDB, Dialect(db))
}

func tableCounts(ctx context.Context, q querier, dialect string) ([]TableCount, error) {
	tables, err := describeTables(ctx, q, dialect)
	if err != nil {
		return nil, err
	}
	var out []TableCount
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		c, err := countTable(ctx, q, tables[name])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// countTable hashes each row's canonical form, columns by name, and then
// the sorted row hashes, so that neither order nor collation matters.
func countTable(ctx context.Context, q querier, t *table) (TableCount, error) {
	cols := slices.Clone(t.columns)
	slices.SortFunc(cols, func(a, b column) int { return strings.Compare(a.name, b.name) })
	rows, err := q.QueryContext(ctx, "SELECT "+columnList(cols)+" FROM "+quoteIdent(t.name))
	if err != nil {
		return TableCount{}, fmt.Errorf("read %s: %w", t.name, err)
	}
	defer rows.Close()
	values := make([]any, len(cols))
	pointers := make([]any, len(cols))
	for i := range values {
		pointers[i] = &values[i]
	}
	var digests [][sha256.Size]byte
	var row strings.Builder
	for rows.Next() {
		if err := rows.Scan(pointers...); err != nil {
			return TableCount{}, fmt.Errorf("read %s: %w", t.name, err)
		}
		row.Reset()
		for i, c := range cols {
			s, err := canonical(c.kind, values[i])
			if err != nil {
				return TableCount{}, fmt.Errorf("read %s.%s: %w", t.name, c.name, err)
			}
			row.WriteString(s)
			row.WriteByte(0)
		}
		digests = append(digests, sha256.Sum256([]byte(row.String())))
	}
	if err := rows.Err(); err != nil {
		return TableCount{}, fmt.Errorf("read %s: %w", t.name, err)
	}
	slices.SortFunc(digests, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, d := range digests {
		h.Write(d[:])
	}
	return TableCount{Table: t.name, Rows: int64(len(digests)), Sum: hex.EncodeToString(h.Sum(nil))}, nil
}

// canonical writes a value as the same text on both dialects; NULL is a
// form no quoted value takes.
func canonical(kind string, v any) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	switch kind {
	case kindInt, kindFloat:
		if i, ok := v.(int64); ok {
			return strconv.FormatInt(i, 10), nil
		}
		f, err := asFloat(v)
		if err != nil {
			return "", err
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case kindBool:
		b, err := asBool(v)
		return strconv.FormatBool(b), err
	case kindTime:
		t, err := asTime(v)
		// PostgreSQL keeps microseconds; the driver truncates to them.
		return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), err
	case kindDate:
		d, err := asDate(v)
		return strconv.Quote(d), err
	case kindBytes:
		return hex.EncodeToString(asBytes(v)), nil
	}
	return strconv.Quote(string(asBytes(v))), nil
}

func asFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case string, []byte:
		// PostgreSQL's numeric arrives as text.
		f, err := strconv.ParseFloat(string(asBytes(x)), 64)
		if err != nil || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("%T is not a number", v)
}

func asBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	}
	return false, fmt.Errorf("%v is not a boolean", v)
}

// sqliteTimeLayouts are the forms instants take in the embedded database:
// the driver's own and that of the schema's strftime defaults.
var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"}

func asTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string, []byte:
		s := string(asBytes(x))
		for _, layout := range sqliteTimeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not an instant", s)
	}
	return time.Time{}, fmt.Errorf("%T is not an instant", v)
}

func asDate(v any) (string, error) {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.DateOnly), nil
	case string, []byte:
		s := string(asBytes(x))
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return "", fmt.Errorf("%q is not a date", s)
		}
		return s, nil
	}
	return "", fmt.Errorf("%T is not a date", v)
}

func asBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return []byte(fmt.Sprint(v))
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func columnList(cols []column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.name)
	}
	return strings.Join(names, ", ")
}

// CopyReport is what CopyToPostgres copied: every table, in the order
// copied, with its row count and checksum, equal on both sides.
type CopyReport struct {
	Tables []TableCount
}

// Rows is the number of rows copied, over every table.
func (r CopyReport) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// ErrTargetNotEmpty means the PostgreSQL database already holds records,
// which a copy would mix with the embedded database's.
var ErrTargetNotEmpty = errors.New("the PostgreSQL database already holds records")

// CopyToPostgres copies every row of every table of the embedded database
// src into dst, a PostgreSQL database migrated to the same schema version
// that holds nothing but the rows its migrations seed (these are replaced).
// Ids are kept and sequences reset past them. It is one transaction on
// dst, committed only when every table's row count and checksum equal the
// source's; src is read in one transaction too, so it cannot change
// meanwhile.
func CopyToPostgres(ctx context.Context, src, dst *gorm.DB) (CopyReport, error) {
	if Dialect(src) != DialectSQLite || Dialect(dst) != DialectPostgres {
		return CopyReport{}, errors.New("the copy goes from the embedded database to PostgreSQL")
	}
	srcDB, err := src.DB()
	if err != nil {
		return CopyReport{}, err
	}
	dstDB, err := dst.DB()
	if err != nil {
		return CopyReport{}, err
	}
	for _, db := range []*gorm.DB{src, dst} {
		state, err := SchemaVersions(ctx, db)
		if err != nil {
			return CopyReport{}, err
		}
		if !state.UpToDate() {
			return CopyReport{}, fmt.Errorf("the %s database is at schema version %d, not %d; migrate it first", Dialect(db), state.Current, state.Latest)
		}
	}
	in, err := srcDB.BeginTx(ctx, nil)
	if err != nil {
		return CopyReport{}, fmt.Errorf("read the embedded database: %w", err)
	}
	defer func() { _ = in.Rollback() }()
	out, err := dstDB.BeginTx(ctx, nil)
	if err != nil {
		return CopyReport{}, fmt.Errorf("write to PostgreSQL: %w", err)
	}
	defer func() { _ = out.Rollback() }()

	from, err := describeTables(ctx, in, DialectSQLite)
	if err != nil {
		return CopyReport{}, err
	}
	to, err := describeTables(ctx, out, DialectPostgres)
	if err != nil {
		return CopyReport{}, err
	}
	if err := sameTables(from, to); err != nil {
		return CopyReport{}, err
	}
	order, err := dependencyOrder(from)
	if err != nil {
		return CopyReport{}, err
	}
	if err := refuseRecords(ctx, out, order); err != nil {
		return CopyReport{}, err
	}
	// Only seeded rows are there; TRUNCATE skips the audit log's row triggers.
	quoted := make([]string, len(order))
	for i, name := range order {
		quoted[i] = quoteIdent(name)
	}
	if _, err := out.ExecContext(ctx, "TRUNCATE "+strings.Join(quoted, ", ")); err != nil {
		return CopyReport{}, fmt.Errorf("clear the seeded rows: %w", err)
	}
	for _, name := range order {
		if err := copyTable(ctx, in, out, from[name], to[name]); err != nil {
			return CopyReport{}, err
		}
	}
	if err := resetSequences(ctx, out); err != nil {
		return CopyReport{}, err
	}
	var report CopyReport
	for _, name := range order {
		want, err := countTable(ctx, in, from[name])
		if err != nil {
			return CopyReport{}, err
		}
		got, err := countTable(ctx, out, to[name])
		if err != nil {
			return CopyReport{}, err
		}
		if got != want {
			return CopyReport{}, fmt.Errorf("the copy of %s differs from the original (%d rows copied of %d, or values PostgreSQL stores differently); nothing was written", name, got.Rows, want.Rows)
		}
		report.Tables = append(report.Tables, want)
	}
	if err := out.Commit(); err != nil {
		return CopyReport{}, fmt.Errorf("commit the copy: %w", err)
	}
	return report, nil
}

// sameTables checks that both schemas have the same tables and columns,
// so that nothing is left behind.
func sameTables(from, to map[string]*table) error {
	names := func(cols []column) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = c.name
		}
		slices.Sort(out)
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(from)) {
		t, ok := to[name]
		if !ok {
			return fmt.Errorf("the table %s of the embedded database is missing in PostgreSQL; both must be migrated by the same borderflow", name)
		}
		if a, b := names(from[name].columns), names(t.columns); !slices.Equal(a, b) {
			return fmt.Errorf("the table %s has columns %s in the embedded database but %s in PostgreSQL; both must be migrated by the same borderflow",
				name, strings.Join(a, ", "), strings.Join(b, ", "))
		}
	}
	for name := range to {
		if from[name] == nil {
			return fmt.Errorf("the table %s of PostgreSQL is missing in the embedded database; both must be migrated by the same borderflow", name)
		}
	}
	return nil
}

// refuseRecords fails when a table other than the seeded ones holds rows.
func refuseRecords(ctx context.Context, q querier, tables []string) error {
	for _, name := range tables {
		if slices.Contains(seededTables, name) {
			continue
		}
		var n int64
		rows, err := q.QueryContext(ctx, "SELECT count(*) FROM "+quoteIdent(name))
		if err != nil {
			return fmt.Errorf("count %s: %w", name, err)
		}
		for rows.Next() {
			err = rows.Scan(&n)
		}
		rows.Close()
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w (%d rows in %s); give the URL of a new, empty database", ErrTargetNotEmpty, n, name)
		}
	}
	return nil
}

// copyTable streams a table's rows into PostgreSQL in multi-row inserts,
// each value converted to the type of its PostgreSQL column.
func copyTable(ctx context.Context, in querier, out *sql.Tx, from, to *table) error {
	kinds := map[string]string{}
	for _, c := range to.columns {
		kinds[c.name] = c.kind
	}
	cols := from.columns
	rows, err := in.QueryContext(ctx, "SELECT "+columnList(cols)+" FROM "+quoteIdent(from.name))
	if err != nil {
		return fmt.Errorf("read %s: %w", from.name, err)
	}
	defer rows.Close()
	// PostgreSQL takes at most 65535 parameters a statement.
	perBatch := min(1000, 65535/len(cols))
	head := "INSERT INTO " + quoteIdent(from.name) + " (" + columnList(cols) + ") VALUES "
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var q strings.Builder
		q.WriteString(head)
		for r := 0; r < len(args)/len(cols); r++ {
			if r > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for c := range cols {
				if c > 0 {
					q.WriteString(", ")
				}
				fmt.Fprintf(&q, "$%d", r*len(cols)+c+1)
			}
			q.WriteByte(')')
		}
		if _, err := out.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("write %s: %s", from.name, cause(err))
		}
		args = args[:0]
		return nil
	}
	values := make([]any, len(cols))
	pointers := make([]any, len(cols))
	for i := range values {
		pointers[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(pointers...); err != nil {
			return fmt.Errorf("read %s: %w", from.name, err)
		}
		for i, c := range cols {
			v, err := toPostgres(kinds[c.name], values[i])
			if err != nil {
				return fmt.Errorf("read %s.%s: %w", from.name, c.name, err)
			}
			args = append(args, v)
		}
		if len(args) >= perBatch*len(cols) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", from.name, err)
	}
	return flush()
}

// toPostgres converts a value read from SQLite for a PostgreSQL column.
func toPostgres(kind string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch kind {
	case kindBool:
		return asBool(v)
	case kindTime:
		return asTime(v)
	case kindDate:
		return asDate(v)
	case kindBytes:
		return asBytes(v), nil
	case kindText:
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	}
	return v, nil
}

// resetSequences moves every serial column's sequence past the largest id
// copied, so that the next row inserted gets a new one.
func resetSequences(ctx context.Context, out *sql.Tx) error {
	rows, err := out.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> $1
		  AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')`, versionTable)
	if err != nil {
		return fmt.Errorf("find the sequences: %w", err)
	}
	type serial struct{ table, column string }
	var serials []serial
	for rows.Next() {
		var s serial
		if err := rows.Scan(&s.table, &s.column); err != nil {
			rows.Close()
			return err
		}
		serials = append(serials, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, s := range serials {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(%[1]s), 1), max(%[1]s) IS NOT NULL) FROM %[2]s`,
			quoteIdent(s.column), quoteIdent(s.table))
		if _, err := out.ExecContext(ctx, q, quoteIdent(s.table), s.column); err != nil {
			return fmt.Errorf("reset the sequence of %s.%s: %w", s.table, s.column, err)
		}
	}
	return nil
}
