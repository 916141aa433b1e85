//go:build race

package jwtauth_test

// abuseUnderRace: the race detector slows CEL evaluation about 70-fold, so
// a call that runs to celmap.PerCallLimit takes 20-50 s instead of 0.3 s;
// the CEL abuse cases marked heavy run only without -race.
const abuseUnderRace = true
