package tenant

import "strings"

// A store app keeps a few sets that hold every tenant's entries at once
// (the due set, which every replica's scheduler reads; the outbox's
// ambiguous set, which operators read). Their members carry their tenant
// in front: "TENANT/MEMBER". A tenant key never holds '/' (Check), so the
// first '/' ends it; a self-built app's members, which have none, are
// never qualified.

// Qualify returns member qualified by key: "KEY/MEMBER".
func Qualify(key, member string) string { return key + "/" + member }

// Split undoes Qualify: the tenant key and the bare member, and true, when
// s is qualified by a valid key; "", s and false otherwise.
func Split(s string) (key, member string, ok bool) {
	k, m, found := strings.Cut(s, "/")
	if !found || Check(k) != nil {
		return "", s, false
	}
	return k, m, true
}
