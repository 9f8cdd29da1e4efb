package slowlog

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name    string
		dialect Dialect
		in      string
		want    string
	}{
		{"numbers", MySQL, "SELECT * FROM orders WHERE id = 42", "select * from orders where id = ?"},
		{"negative number", MySQL, "select a from t where b = -1.5e3", "select a from t where b = ?"},
		{"subtraction keeps minus", MySQL, "select a - 1 from t", "select a - ? from t"},
		{"column minus column", MySQL, "select a-b from t", "select a - b from t"},
		{"decimal starting with dot", MySQL, "select .5 + x", "select ? + x"},
		{"hex number", MySQL, "select 0xDEADBEEF, X'0F', b'101'", "select ?, ?, ?"},
		{"numbers in identifiers", MySQL, "SELECT col1, t2.c_2024 FROM tbl3 t2 WHERE x1 = 7", "select col1, t2.c_2024 from tbl3 t2 where x1 = ?"},
		{"identifier starting with digit", MySQL, "select * from 1st_table", "select * from 1st_table"},
		{"qualified with digits", MySQL, "select db1.t1.c1 from db1.t1", "select db1.t1.c1 from db1.t1"},
		{"string with doubled quote", MySQL, "select * from t where name = 'O''Brien'", "select * from t where name = ?"},
		{"string with backslash quote", MySQL, `select * from t where name = 'it\'s' and b = 'x'`, "select * from t where name = ? and b = ?"},
		{"mysql double quoted string", MySQL, `select * from t where a = "x ""y"" z"`, "select * from t where a = ?"},
		{"postgres double quoted identifier", PostgreSQL, `select "Order Id" from "Orders" where id = 3`, `select "Order Id" from "Orders" where id = ?`},
		{"postgres backslash is no escape", PostgreSQL, `select 'C:\' , id from t`, "select ?, id from t"},
		{"postgres E string", PostgreSQL, `select E'it\'s', 1`, "select ?, ?"},
		{"postgres dollar quoted", PostgreSQL, "select $fn$ it's; -- no comment $fn$, $$x$$", "select ?, ?"},
		{"postgres placeholders", PostgreSQL, "select * from t where a = $1 and b = $12", "select * from t where a = ? and b = ?"},
		{"postgres cast", PostgreSQL, "select '2024-01-01'::date, x::int", "select ?::date, x::int"},
		{"mysql placeholders", MySQL, "select * from t where a = ? and b in (?, ?)", "select * from t where a = ? and b in(?+)"},
		{"in list collapsed", MySQL, "SELECT * FROM t WHERE id IN (1, 2, 3)", "select * from t where id in(?+)"},
		{"in list of one", MySQL, "SELECT * FROM t WHERE id IN (1)", "select * from t where id in(?+)"},
		{"in list of strings and null", MySQL, "select * from t where c in ('a', \"b\", NULL)", "select * from t where c in(?+)"},
		{"in subquery kept", MySQL, "select * from t where id in (select id from u where v = 2)", "select * from t where id in(select id from u where v = ?)"},
		{"not in", MySQL, "select 1 from t where id not in (5,6)", "select ? from t where id not in(?+)"},
		{"multi-row values", MySQL, "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, NULL)", "insert into t(a, b) values(?+)"},
		{"values with expression kept", MySQL, "insert into t values (1, now())", "insert into t values(?, now())"},
		{"block comment", MySQL, "select /* app:checkout */ a from t", "select a from t"},
		{"optimizer hint dropped", MySQL, "select /*+ MAX_EXECUTION_TIME(1000) */ a from t", "select a from t"},
		{"line comments", MySQL, "select a -- the a\nfrom t # mysql comment\nwhere b = 1", "select a from t where b = ?"},
		{"postgres hash is an operator", PostgreSQL, "select a # 5 from t", "select a # ? from t"},
		{"comment markers in strings", MySQL, "select '-- not a comment', '/* nor this */' from t", "select ?, ? from t"},
		{"whitespace", MySQL, "  SELECT\n\t a ,b\r\n FROM   t  ;  ", "select a, b from t"},
		{"case folding keeps quoted", MySQL, "SELECT `MyCol` FROM `My Table`", "select `MyCol` from `My Table`"},
		{"limit offset", MySQL, "select * from t order by id limit 10 offset 20", "select * from t order by id limit ? offset ?"},
		{"limit comma", MySQL, "select * from t limit 5, 10", "select * from t limit ?, ?"},
		{"between negative", MySQL, "select * from t where a between -5 and 5", "select * from t where a between ? and ?"},
		{"charset introducer", MySQL, "select _utf8mb4'abc' collate utf8mb4_bin", "select ? collate utf8mb4_bin"},
		{"postgres array", PostgreSQL, "select * from t where id = any(ARRAY[1,2,3])", "select * from t where id = any(array[?+])"},
		{"json operators", PostgreSQL, "select doc->>'name' from t where doc->'a' @> '{}'", "select doc ->> ? from t where doc -> ? @> ?"},
		{"comparison operators", MySQL, "select * from t where a>=1 and b<>2 and c!=3 and d<=>NULL", "select * from t where a >= ? and b <> ? and c != ? and d <=> null"},
		{"unterminated string", MySQL, "select 'abc", "select ?"},
		{"unicode identifiers and strings", PostgreSQL, "select 'größe' from tëst where ü = 1", "select ? from tëst where ü = ?"},
		{"scientific", PostgreSQL, "select 1e10, 2.5E-3, 3.", "select ?, ?, ?"},
		{"update", MySQL, "UPDATE accounts SET balance = balance - 10.00 WHERE id = 1017", "update accounts set balance = balance - ? where id = ?"},
		{"set negative", MySQL, "update t set a = -1", "update t set a = ?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Normalize(tc.in, tc.dialect))
		})
	}
}

func TestFingerprintSameStatementOtherValues(t *testing.T) {
	pairs := [][2]string{
		{"select * from t where id in (1,2,3)", "SELECT *  FROM t WHERE id IN (4)"},
		{"insert into t values (1,'a'),(2,'b')", "insert into t values (3, 'c')"},
		{"select * from t where name = 'O''Brien' /* x */", "select * from t where name='Smith'"},
	}
	for _, p := range pairs {
		assert.Equal(t, Fingerprint(Normalize(p[0], MySQL)), Fingerprint(Normalize(p[1], MySQL)), p)
	}
	assert.NotEqual(t, Fingerprint(Normalize("select c1 from t1", MySQL)), Fingerprint(Normalize("select c2 from t1", MySQL)))
	// pt-query-digest's checksum: last 16 hex digits of the MD5, upper case.
	// (python3: hashlib.md5(b"select ?").hexdigest()[-16:].upper())
	assert.Equal(t, "16219655761820A2", Fingerprint("select ?"))
}
