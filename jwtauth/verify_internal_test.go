package jwtauth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFormatDate(t *testing.T) {
	for _, tc := range []struct {
		sec  int64
		want string
	}{
		{1767225600, "2026-01-01T00:00:00Z"},
		{-9223372036854775808, "-9223372036854775808 seconds since 1970"},
		{253402300800, "253402300800 seconds since 1970"}, // year 10000
		{-62135596800, "0001-01-01T00:00:00Z"},
	} {
		require.Equal(t, tc.want, formatDate(time.Unix(tc.sec, 0)), tc.sec)
	}
	require.Equal(t, "out of range, read as the distant past", formatDate(distantPast))
}
