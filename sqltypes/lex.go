// Light scanning of SQL text where a parse would be too costly (every
// relayed query) or is not needed (a statement's first keyword).

package sqltypes

import "bytes"

// SkipBlank skips white space, -- comments and (nested) /* */ comments.
func SkipBlank(q []byte, i int) int {
	for i < len(q) {
		switch {
		case q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r' || q[i] == '\f' || q[i] == '\v':
			i++
		case bytes.HasPrefix(q[i:], []byte("--")):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case bytes.HasPrefix(q[i:], []byte("/*")):
			depth := 0
			for i < len(q) {
				if bytes.HasPrefix(q[i:], []byte("/*")) {
					depth++
					i += 2
				} else if bytes.HasPrefix(q[i:], []byte("*/")) {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			return i
		}
	}
	return i
}

// Word returns the identifier-like word at i (letters, digits, _ and $).
func Word(q []byte, i int) ([]byte, int) {
	j := i
	for j < len(q) {
		b := q[j]
		if b == '_' || b == '$' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80 {
			j++
			continue
		}
		break
	}
	return q[i:j], j
}
