package sqlquery

import (
	"strings"
)

// A query runs as one statement, with no transaction, timeout or lookup statements
// around it, when the session alone keeps it from writing: the setup a connection
// needs is done once, when it opens (connect_postgres.go, connect_mysql.go). That is
// only safe for a statement that runs in one transaction and cannot change the
// session for the statements after it without the change being seen; everything else
// (CALL and DO, which may commit and start read-write transactions, SET, ...) runs in
// a read-only transaction of its own, as every query did before.

// singleStatementKeywords are the first keywords of the texts that may run as one
// statement: a query, never a procedure, a block or a session command.
var singleStatementKeywords = map[string]map[string]bool{
	familyPostgres: {"select": true, "with": true, "table": true, "values": true, "show": true, "(": true},
	familyMySQL:    {"select": true, "with": true, "values": true, "show": true, "(": true},
}

// singleStatement tells whether text, in the engine family's syntax, may run as one
// statement on a read-only session.
func singleStatement(family, text string) bool {
	return singleStatementKeywords[family][firstKeyword(family, text)]
}

// firstKeyword is the lowercased first word of text after blanks and comments, or "("
// when it starts with one; "" when it starts with anything else, such as a MySQL
// executable comment (/*! ... */), whose text is code.
func firstKeyword(family, text string) string {
	var lx lexer = postgresLexer{}
	if family == familyMySQL {
		lx = mysqlLexer{}
	}
	i := 0
	for i < len(text) {
		if isSpace(text[i]) {
			i++
			continue
		}
		j := lx.skip(text, i)
		if j == i || !isComment(text[i:j]) {
			break
		}
		i = j
	}
	if i < len(text) && text[i] == '(' {
		return "("
	}
	j := i
	for j < len(text) && (text[j] >= 'a' && text[j] <= 'z' || text[j] >= 'A' && text[j] <= 'Z') {
		j++
	}
	if j < len(text) && isIdentByte(text[j]) { // selectx, select1: not a keyword
		return ""
	}
	return strings.ToLower(text[i:j])
}
