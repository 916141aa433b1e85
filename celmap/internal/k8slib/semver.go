//lint:file-ignore ST1005 error texts match blang/semver's, which Kubernetes surfaces to CEL users verbatim

package k8slib

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file is a small Semantic Versioning 2.0.0 parser that accepts and
// rejects exactly what github.com/blang/semver/v4's strict Parse does, with
// the same error messages, plus the "normalize" variant of kube's semver
// library (which mirrors blang's ParseTolerant without whitespace trimming).

const (
	semverDigits   = "0123456789"
	semverAlphaNum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-" + semverDigits
)

// semverVersion is a parsed version. Build metadata is kept but, as the
// spec requires, ignored by comparisons.
type semverVersion struct {
	major, minor, patch uint64
	pre                 []semverPre
	build               []string
}

// semverPre is one dot-separated pre-release identifier.
type semverPre struct {
	str   string
	num   uint64
	isNum bool
}

func (p semverPre) String() string {
	if p.isNum {
		return strconv.FormatUint(p.num, 10)
	}
	return p.str
}

// compare orders numeric identifiers numerically and below alphanumeric
// ones, and alphanumeric identifiers in ASCII order.
func (p semverPre) compare(o semverPre) int {
	switch {
	case p.isNum && !o.isNum:
		return -1
	case !p.isNum && o.isNum:
		return 1
	case p.isNum:
		return cmpOrdered(p.num, o.num)
	}
	return strings.Compare(p.str, o.str)
}

func cmpOrdered[T uint64 | int](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v semverVersion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d.%d.%d", v.major, v.minor, v.patch)
	for i, p := range v.pre {
		if i == 0 {
			b.WriteByte('-')
		} else {
			b.WriteByte('.')
		}
		b.WriteString(p.String())
	}
	if len(v.build) > 0 {
		b.WriteString("+" + strings.Join(v.build, "."))
	}
	return b.String()
}

// compare implements semver precedence: -1, 0 or 1.
func (v semverVersion) compare(o semverVersion) int {
	if c := cmpOrdered(v.major, o.major); c != 0 {
		return c
	}
	if c := cmpOrdered(v.minor, o.minor); c != 0 {
		return c
	}
	if c := cmpOrdered(v.patch, o.patch); c != 0 {
		return c
	}
	// a version without pre-release identifiers ranks higher
	switch {
	case len(v.pre) == 0 && len(o.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1
	case len(o.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(o.pre); i++ {
		if c := v.pre[i].compare(o.pre[i]); c != 0 {
			return c
		}
	}
	return cmpOrdered(len(v.pre), len(o.pre))
}

func containsOnly(s, set string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(set, r) }) == -1
}

func hasLeadingZero(s string) bool { return len(s) > 1 && s[0] == '0' }

// parseVersionNumber parses the major, minor or patch component.
func parseVersionNumber(s, what string) (uint64, error) {
	if !containsOnly(s, semverDigits) {
		return 0, fmt.Errorf("Invalid character(s) found in %s number %q", what, s)
	}
	if hasLeadingZero(s) {
		return 0, fmt.Errorf("%s number must not contain leading zeroes %q", strings.ToUpper(what[:1])+what[1:], s)
	}
	return strconv.ParseUint(s, 10, 64)
}

// parseSemver parses a strict MAJOR.MINOR.PATCH[-PRE][+BUILD] version.
func parseSemver(s string) (semverVersion, error) {
	if s == "" {
		return semverVersion{}, errors.New("Version string empty")
	}
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 {
		return semverVersion{}, errors.New("No Major.Minor.Patch elements found")
	}
	var v semverVersion
	var err error
	if v.major, err = parseVersionNumber(parts[0], "major"); err != nil {
		return semverVersion{}, err
	}
	if v.minor, err = parseVersionNumber(parts[1], "minor"); err != nil {
		return semverVersion{}, err
	}
	rest := parts[2]
	var build, pre []string
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		build = strings.Split(rest[i+1:], ".")
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		pre = strings.Split(rest[i+1:], ".")
		rest = rest[:i]
	}
	if v.patch, err = parseVersionNumber(rest, "patch"); err != nil {
		return semverVersion{}, err
	}
	for _, p := range pre {
		id, err := parsePreRelease(p)
		if err != nil {
			return semverVersion{}, err
		}
		v.pre = append(v.pre, id)
	}
	for _, b := range build {
		if b == "" {
			return semverVersion{}, errors.New("Build meta data is empty")
		}
		if !containsOnly(b, semverAlphaNum) {
			return semverVersion{}, fmt.Errorf("Invalid character(s) found in build meta data %q", b)
		}
		v.build = append(v.build, b)
	}
	return v, nil
}

func parsePreRelease(s string) (semverPre, error) {
	switch {
	case s == "":
		return semverPre{}, errors.New("Prerelease is empty")
	case containsOnly(s, semverDigits):
		if hasLeadingZero(s) {
			return semverPre{}, fmt.Errorf("Numeric PreRelease version must not contain leading zeroes %q", s)
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return semverPre{}, err
		}
		return semverPre{num: n, isNum: true}, nil
	case containsOnly(s, semverAlphaNum):
		return semverPre{str: s}, nil
	}
	return semverPre{}, fmt.Errorf("Invalid character(s) found in prerelease %q", s)
}

// normalizeAndParseSemver accepts a leading "v", leading zeroes and missing
// minor/patch components ("v01.2" is 1.2.0) before strict parsing.
func normalizeAndParseSemver(s string) (semverVersion, error) {
	s = strings.TrimPrefix(s, "v")
	parts := strings.SplitN(s, ".", 3)
	for i, p := range parts {
		if len(p) > 1 {
			p = strings.TrimLeft(p, "0")
			if p == "" || !strings.ContainsAny(p[0:1], semverDigits) {
				p = "0" + p
			}
			parts[i] = p
		}
	}
	if len(parts) < 3 {
		if strings.ContainsAny(parts[len(parts)-1], "+-") {
			return semverVersion{}, errors.New("short version cannot contain PreRelease/Build meta data")
		}
		for len(parts) < 3 {
			parts = append(parts, "0")
		}
	}
	return parseSemver(strings.Join(parts, "."))
}
