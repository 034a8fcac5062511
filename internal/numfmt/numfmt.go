// Package numfmt writes numbers as vaekit's pages and logs show them to readers.
package numfmt

import "strconv"

// Thousands writes n with a comma between groups of three digits (1,082,680; -60,000).
func Thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
