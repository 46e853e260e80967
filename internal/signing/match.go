package signing

// maxSubpattern is OpenSSH's limit: a subpattern of this many bytes or more
// makes match_pattern_list fail.
const maxSubpattern = 1023

// matchPatternList is OpenSSH's match_pattern_list(s, list, 0): 1 when a
// pattern of the comma-separated list matches s and no negated one (!pat)
// does, -1 when a negated one matches, else 0. Case-sensitive.
func matchPatternList(s, list string) int {
	positive := 0
	for i := 0; i < len(list); {
		negated := list[i] == '!'
		if negated {
			i++
		}
		j := i
		for j < len(list) && list[j] != ',' {
			j++
		}
		sub := list[i:j]
		if len(sub) >= maxSubpattern {
			return 0
		}
		i = j
		if i < len(list) {
			i++ // the comma
		}
		if matchPattern(s, sub) {
			if negated {
				return -1
			}
			positive = 1
		}
	}
	return positive
}

// matchPattern is OpenSSH's match_pattern: * matches any run of bytes, ?
// one byte, anything else itself. It runs in O(len(s)*len(p)) at worst.
func matchPattern(s, p string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			si++
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
