//go:build !race

package jwtauth_test

// abuseUnderRace: see abuse_race_test.go.
const abuseUnderRace = false
