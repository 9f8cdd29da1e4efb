package slowlog

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize returns the statement's normalized form, in the spirit of Percona's
// pt-fingerprint: comments dropped; string, number, hex, bit and placeholder literals
// (including a sign in front of a number) replaced by ?; lists of only literals after IN
// and VALUES collapsed to (?+), so that the same statement with other values or another
// number of values gets the same form; whitespace collapsed; everything outside quoted
// identifiers lowercased; a trailing semicolon dropped. Digits inside identifiers (t1,
// col_2024) are kept. dialect decides what quotes mean: in MySQL "..." is a string and
// backslash escapes, # starts a comment; in PostgreSQL "..." is an identifier, $n is a
// placeholder and $tag$...$tag$ a string.
func Normalize(sql string, dialect Dialect) string {
	toks := tokenize(sql, dialect)
	toks = collapseLists(toks)
	var b strings.Builder
	b.Grow(len(sql))
	for i, t := range toks {
		if i > 0 && spaceBetween(toks[i-1], t) {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// Fingerprint is the identifier of a normalized statement: the last 16 hex digits of its
// MD5, as pt-query-digest computes a query's checksum.
func Fingerprint(normalized string) string {
	sum := md5.Sum([]byte(normalized))
	return strings.ToUpper(hex.EncodeToString(sum[8:]))
}

type tokKind uint8

const (
	tkWord    tokKind = iota // keyword or unquoted identifier (lowercased)
	tkQuoted                 // quoted identifier, kept as written
	tkLiteral                // ?
	tkPunct                  // operators and punctuation
)

type token struct {
	kind tokKind
	text string
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// isNumber reports whether a run of word characters (plus dots and exponent signs
// already included) is a numeric literal rather than an identifier such as t1 or 1st.
func isNumber(w string) bool {
	if len(w) > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X' || w[1] == 'b' || w[1] == 'B') {
		for _, c := range w[2:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF_", c) {
				return false
			}
		}
		return true
	}
	digits, exp, dot := false, false, false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= '0' && c <= '9' || c == '_' && digits:
			digits = true
		case c == '.' && !dot && !exp:
			dot = true
		case (c == 'e' || c == 'E') && digits && !exp:
			exp = true
			if i+1 < len(w) && (w[i+1] == '+' || w[i+1] == '-') {
				i++
			}
		default:
			return false
		}
	}
	return digits
}

func tokenize(s string, d Dialect) []token {
	var out []token
	lit := func() {
		// A sign directly before a number is part of the literal unless what precedes it
		// is an operand (x - 1 keeps its minus).
		if n := len(out); n > 0 && (out[n-1].text == "-" || out[n-1].text == "+") {
			if n == 1 || !isOperand(out[n-2]) {
				out = out[:n-1]
			}
		}
		out = append(out, token{tkLiteral, "?"})
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"), c == '#' && d == MySQL:
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = len(s)
			} else {
				i += j + 1
			}
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				i = len(s)
			} else {
				i += j + 4
			}
		case c == '\'':
			i = skipQuoted(s, i, '\'', d == MySQL || isEString(s, i))
			lit()
		case c == '"' && d == MySQL:
			i = skipQuoted(s, i, '"', true)
			lit()
		case c == '"' || c == '`':
			j := skipQuoted(s, i, c, false)
			out = append(out, token{tkQuoted, s[i:j]})
			i = j
		case c == '$' && d == PostgreSQL && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
			lit()
		case c == '$' && d == PostgreSQL:
			if j, ok := skipDollarQuoted(s, i); ok {
				i = j
				lit()
			} else {
				out = append(out, token{tkPunct, "$"})
				i++
			}
		case c == '?':
			i++
			lit()
		case c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && (len(out) == 0 || !isOperand(out[len(out)-1])):
			j := scanWord(s, i)
			i = j
			lit()
		case isWordByte(c):
			j := scanWord(s, i)
			w := s[i:j]
			if (w[0] >= '0' && w[0] <= '9') && isNumber(w) {
				lit()
			} else if (w[0] == 'x' || w[0] == 'X' || w[0] == 'b' || w[0] == 'B' || w[0] == 'n' || w[0] == 'N' || w[0] == 'e' || w[0] == 'E' || w[0] == '_') && j < len(s) && s[j] == '\'' && wordIsStringPrefix(w) {
				// X'0F', B'01', N'text', E'..', _utf8mb4'text': a typed string literal.
				j = skipQuoted(s, j, '\'', d == MySQL || w == "e" || w == "E")
				lit()
			} else {
				out = append(out, token{tkWord, strings.ToLower(w)})
			}
			i = j
		default:
			// Multi-character operators stay together so that spacing is canonical.
			j := i + 1
			switch {
			case c == '-' && strings.HasPrefix(s[i:], "->>"):
				j = i + 3
			case c == '-' && strings.HasPrefix(s[i:], "->"):
				j = i + 2
			case strings.IndexByte("<>=!|&:~^@", c) >= 0:
				for j < len(s) && j-i < 3 && strings.IndexByte("<>=!|&:~^@", s[j]) >= 0 {
					j++
				}
			}
			if c >= utf8.RuneSelf {
				_, n := utf8.DecodeRuneInString(s[i:])
				j = i + n
			}
			out = append(out, token{tkPunct, s[i:j]})
			i = j
		}
	}
	if n := len(out); n > 0 && out[n-1].text == ";" {
		out = out[:n-1]
	}
	return out
}

func wordIsStringPrefix(w string) bool {
	if w[0] == '_' {
		return true // MySQL charset introducer
	}
	return len(w) == 1
}

// scanWord scans identifier characters, plus the dot and signed exponent of a number.
func scanWord(s string, i int) int {
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case isWordByte(c):
			i++
		case c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && isNumber(s[start:i]+"0"):
			i++
		case c == '.' && i > start && isNumber(s[start:i]) && !strings.Contains(s[start:i], ".") && (i+1 == len(s) || !isWordByte(s[i+1])):
			i++ // 3.
		case (c == '+' || c == '-') && i > start && (s[i-1] == 'e' || s[i-1] == 'E') && isNumber(s[start:i-1]+"0") && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			i++
		default:
			return i
		}
	}
	return i
}

func isEString(s string, i int) bool {
	return i > 0 && (s[i-1] == 'e' || s[i-1] == 'E') && (i == 1 || !isWordByte(s[i-2]))
}

// skipQuoted returns the index after the quoted text starting at s[i] == q; a doubled
// quote is a quote, and with backslash a backslash escapes the next character. An
// unterminated quote runs to the end.
func skipQuoted(s string, i int, q byte, backslash bool) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if backslash {
				j++
			}
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// skipDollarQuoted skips a PostgreSQL dollar-quoted string $tag$...$tag$ at s[i].
func skipDollarQuoted(s string, i int) (int, bool) {
	j := i + 1
	for j < len(s) && s[j] != '$' {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !(r == '_' || unicode.IsLetter(r) || (j > i+1 && unicode.IsDigit(r))) {
			return 0, false
		}
		j += n
	}
	if j >= len(s) {
		return 0, false
	}
	tag := s[i : j+1]
	k := strings.Index(s[j+1:], tag)
	if k < 0 {
		return len(s), true
	}
	return j + 1 + k + len(tag), true
}

func isOperand(t token) bool {
	return t.kind == tkLiteral || t.kind == tkQuoted || t.text == ")" || t.text == "]" ||
		t.kind == tkWord && !operatorKeywords[t.text]
}

// operatorKeywords are words after which a sign belongs to the number that follows.
var operatorKeywords = map[string]bool{
	"select": true, "where": true, "and": true, "or": true, "not": true, "in": true, "values": true,
	"set": true, "then": true, "else": true, "when": true, "between": true, "like": true, "limit": true,
	"offset": true, "return": true, "returning": true, "by": true, "is": true, "having": true, "on": true,
	"interval": true, "case": true, "any": true, "all": true,
}

// collapseLists turns IN (?, ?, ...) and VALUES (?, ...), (?, ...) into IN (?+) and
// VALUES (?+), and ARRAY[?, ...] into array[?+].
func collapseLists(toks []token) []token {
	out := toks[:0:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		out = append(out, t)
		if t.kind != tkWord || (t.text != "in" && t.text != "values" && t.text != "array") {
			continue
		}
		open, close := "(", ")"
		if t.text == "array" {
			open, close = "[", "]"
		}
		j, groups := i+1, 0
		for {
			k, ok := literalGroup(toks, j, open, close)
			if !ok {
				break
			}
			groups++
			j = k
			if t.text != "values" || j >= len(toks) || toks[j].text != "," {
				break
			}
			if _, ok := literalGroup(toks, j+1, open, close); !ok {
				break
			}
			j++
		}
		if groups > 0 {
			out = append(out, token{tkPunct, open}, token{tkLiteral, "?+"}, token{tkPunct, close})
			i = j - 1
		}
	}
	return out
}

// literalGroup matches open ? (, ?)* close at toks[i:] and returns the index after it.
func literalGroup(toks []token, i int, open, close string) (int, bool) {
	if i >= len(toks) || toks[i].text != open {
		return 0, false
	}
	j := i + 1
	for {
		if j >= len(toks) || toks[j].kind != tkLiteral && !(toks[j].kind == tkWord && (toks[j].text == "null" || toks[j].text == "default" || toks[j].text == "true" || toks[j].text == "false")) {
			return 0, false
		}
		j++
		if j < len(toks) && toks[j].text == close {
			return j + 1, true
		}
		if j >= len(toks) || toks[j].text != "," {
			return 0, false
		}
		j++
	}
}

// spaceBetween is the canonical spacing: none after ( [ . and before ) ] , . ( ; one space
// elsewhere (a ( after a word stays attached only for function calls, which we cannot tell
// from IN ( or VALUES (: both are written without a space, so forms compare equal anyway).
func spaceBetween(a, b token) bool {
	if a.kind == tkPunct && (a.text == "(" || a.text == "[" || a.text == "." || a.text == "::") {
		return false
	}
	if b.kind == tkPunct && (b.text == ")" || b.text == "]" || b.text == "," || b.text == "." || b.text == "(" || b.text == "[" || b.text == "::" || b.text == ";") {
		return false
	}
	return true
}
