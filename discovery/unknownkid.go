package discovery

import (
	"hash/maphash"
	"time"
)

// unknownKIDs is the negative cache of kids proved absent from the
// issuer's key set: a fixed-size FIFO of 64-bit hashes (with a per-cache
// random seed, so no one can aim a kid at a collision) and when each was
// proved absent. Not safe for concurrent use; Provider.mu guards it.
type unknownKIDs struct {
	seed  maphash.Seed
	ttl   time.Duration
	limit int
	at    map[uint64]time.Time
	// order holds the hashes in insertion order, as a ring once full;
	// next is the slot to overwrite.
	order []uint64
	next  int
}

func newUnknownKIDs(ttl time.Duration, limit int) unknownKIDs {
	return unknownKIDs{seed: maphash.MakeSeed(), ttl: ttl, limit: limit}
}

// has reports whether kid was proved absent less than ttl before now. A
// clock that went backwards does not count as a hit.
func (u *unknownKIDs) has(kid string, now time.Time) bool {
	t, ok := u.at[maphash.String(u.seed, kid)]
	if !ok {
		return false
	}
	since := now.Sub(t)
	return since >= 0 && since < u.ttl
}

// add records that kid was proved absent at now, forgetting the oldest
// entry when the cache is full.
func (u *unknownKIDs) add(kid string, now time.Time) {
	h := maphash.String(u.seed, kid)
	if u.at == nil {
		u.at = make(map[uint64]time.Time)
	}
	if _, ok := u.at[h]; ok {
		u.at[h] = now
		return
	}
	if len(u.order) < u.limit {
		u.order = append(u.order, h)
	} else {
		delete(u.at, u.order[u.next])
		u.order[u.next] = h
		u.next = (u.next + 1) % u.limit
	}
	u.at[h] = now
}

// len is the number of entries, expired ones included.
func (u *unknownKIDs) len() int { return len(u.at) }
