package sqlquery

import "strings"

// statementCount counts the statements of a query text as the engine family's parser
// would split them on semicolons, skipping strings, quoted identifiers, comments and,
// on PostgreSQL, dollar-quoted bodies; an empty statement (a trailing semicolon) does
// not count. It errs on the side of more: MySQL is read both with and without
// backslash escapes (NO_BACKSLASH_ESCAPES), and the text of a MySQL executable comment
// (/*! ... */) counts as code. The drivers refuse several statements anyway (see
// forceSafeMySQL, forceSafePostgres): this only lets Validate say so first.
func statementCount(family, text string) int {
	if family == familyMySQL {
		return max(countStatements(text, mysqlLexer{backslash: true}), countStatements(text, mysqlLexer{}))
	}
	return countStatements(text, postgresLexer{})
}

// lexer skips, at text[i], a token within which a semicolon is not a separator, and
// returns the index after it; i itself when there is none at i.
type lexer interface {
	skip(text string, i int) int
}

func countStatements(text string, lx lexer) int {
	n := 0
	content := false // the current statement has more than blanks and comments
	for i := 0; i < len(text); {
		if j := lx.skip(text, i); j > i {
			if !isComment(text[i:j]) {
				content = true
			}
			i = j
			continue
		}
		switch c := text[i]; {
		case c == ';':
			if content {
				n++
			}
			content = false
		case c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v':
			content = true
		}
		i++
	}
	if content {
		n++
	}
	return n
}

func isComment(tok string) bool {
	return len(tok) >= 2 && (tok[:2] == "--" || (tok[:2] == "/*" && (len(tok) < 3 || tok[2] != '!')) || tok[0] == '#')
}

// quoted returns the index after a token quoted by q that starts at i, where a doubled
// q stands for itself and, with backslash, \ escapes the next byte; len(text) if it
// never ends.
func quoted(text string, i int, q byte, backslash bool) int {
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '\\':
			if backslash {
				j++
			}
		case q:
			if j+1 < len(text) && text[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(text)
}

func lineComment(text string, i int) int {
	for j := i; j < len(text); j++ {
		if text[j] == '\n' {
			return j + 1
		}
	}
	return len(text)
}

type mysqlLexer struct{ backslash bool }

func (l mysqlLexer) skip(text string, i int) int {
	c := text[i]
	next := byte(0)
	if i+1 < len(text) {
		next = text[i+1]
	}
	switch {
	case c == '\'' || c == '"':
		return quoted(text, i, c, l.backslash)
	case c == '`':
		return quoted(text, i, c, false)
	case c == '#':
		return lineComment(text, i)
	case c == '-' && next == '-' && (i+2 >= len(text) || isSpace(text[i+2])):
		return lineComment(text, i)
	case c == '/' && next == '*':
		if i+2 < len(text) && (text[i+2] == '!' || text[i+2] == 'M') {
			return i + 2 // an executable comment: its text is code
		}
		end := indexFrom(text, "*/", i+2)
		if end < 0 {
			return len(text)
		}
		return end + 2
	}
	return i
}

type postgresLexer struct{}

func (postgresLexer) skip(text string, i int) int {
	c := text[i]
	next := byte(0)
	if i+1 < len(text) {
		next = text[i+1]
	}
	switch {
	case (c == 'E' || c == 'e') && next == '\'' && (i == 0 || !isIdentByte(text[i-1])):
		return quoted(text, i+1, '\'', true)
	case c == '\'' || c == '"':
		return quoted(text, i, c, false)
	case c == '-' && next == '-':
		return lineComment(text, i)
	case c == '/' && next == '*':
		// Block comments nest in PostgreSQL.
		depth := 0
		for j := i; j+1 < len(text); j++ {
			switch {
			case text[j] == '/' && text[j+1] == '*':
				depth++
				j++
			case text[j] == '*' && text[j+1] == '/':
				depth--
				j++
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(text)
	case c == '$' && (i == 0 || !isIdentByte(text[i-1])):
		// $tag$ ... $tag$, where the tag may be empty; $1 is a parameter.
		j := i + 1
		for j < len(text) && (isIdentByte(text[j]) && !(j == i+1 && text[j] >= '0' && text[j] <= '9')) {
			j++
		}
		if j >= len(text) || text[j] != '$' {
			return i
		}
		tag := text[i : j+1]
		end := indexFrom(text, tag, j+1)
		if end < 0 {
			return len(text)
		}
		return end + len(tag)
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// indexFrom is the index of sub in s at or after from, -1 if none.
func indexFrom(s, sub string, from int) int {
	if from > len(s) {
		return -1
	}
	if j := strings.Index(s[from:], sub); j >= 0 {
		return from + j
	}
	return -1
}
