package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A census counts every key of the -redis database by its shape ("class":
// the key with every id in it replaced by *), with the bytes Redis says
// each takes (MEMORY USAGE … SAMPLES 0, every element counted), its
// elements and its time to live, so that the state an open todo or a
// reminder leaves behind can be read key by key.

// tokenRE finds the words of a key between its separators (':', '{',
// '}', '.', '/').
var tokenRE = regexp.MustCompile(`[A-Za-z0-9_\-]+`)

// idPrefixes are the platform's id prefixes (internal/platformid) and the
// app id's.
var idPrefixes = []string{"oc_", "ou_", "om_", "on_", "cli_"}

// keyClass is key with each word that looks like an id replaced by "*":
// a platform id, a word of 16 characters or more, all digits, or one of 6
// or more that holds a digit. Names such as "botd", "todos", "open",
// "ephemeral", "send_form" or "v1" stay.
func keyClass(key string) string {
	return tokenRE.ReplaceAllStringFunc(key, func(w string) string {
		if isIDWord(w) {
			return "*"
		}
		return w
	})
}

func isIDWord(w string) bool {
	for _, p := range idPrefixes {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	if len(w) >= 16 {
		return true
	}
	digits := 0
	for _, r := range w {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits == len(w) || (digits > 0 && len(w) >= 6)
}

// classStats is one class of keys in a census.
type classStats struct {
	Class    string `json:"class"`
	Type     string `json:"type"`
	Keys     int64  `json:"keys"`
	Bytes    int64  `json:"bytes"`    // MEMORY USAGE, summed
	Elements int64  `json:"elements"` // fields, members or items, summed (1 per string)
	// The shortest and longest time to live, in seconds; -1 for a key
	// without one.
	MinTTL float64 `json:"min_ttl_s"`
	MaxTTL float64 `json:"max_ttl_s"`
}

// census is every class of a database at one moment.
type census map[string]*classStats

// takeCensus scans the whole database (botload's own: -flush). A cluster
// is not supported: -redis is one server.
func takeCensus(ctx context.Context, c *redis.Client) (census, error) {
	out := census{}
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("census: scan: %w", err)
		}
		if err := out.add(ctx, c, keys); err != nil {
			return nil, err
		}
		if cursor = next; cursor == 0 {
			return out, nil
		}
	}
}

// add measures keys in two pipelines: type, size and TTL; then the
// element count for the type.
func (cs census) add(ctx context.Context, c *redis.Client, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	types := make([]*redis.StatusCmd, len(keys))
	sizes := make([]*redis.IntCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
			sizes[i] = p.MemoryUsage(ctx, k, 0)
			ttls[i] = p.PTTL(ctx, k)
		}
		return nil
	}); err != nil && err != redis.Nil {
		return fmt.Errorf("census: measure keys: %w", err)
	}
	counts := make([]*redis.IntCmd, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			switch types[i].Val() {
			case "hash":
				counts[i] = p.HLen(ctx, k)
			case "zset":
				counts[i] = p.ZCard(ctx, k)
			case "set":
				counts[i] = p.SCard(ctx, k)
			case "list":
				counts[i] = p.LLen(ctx, k)
			}
		}
		return nil
	}); err != nil && err != redis.Nil {
		return fmt.Errorf("census: count elements: %w", err)
	}
	for i, k := range keys {
		typ := types[i].Val()
		if typ == "none" || typ == "" {
			continue // expired between SCAN and now
		}
		elems := int64(1)
		if counts[i] != nil {
			elems = counts[i].Val()
		}
		ttl := -1.0
		if d := ttls[i].Val(); d > 0 {
			ttl = d.Seconds()
		}
		cs.count(keyClass(k), typ, sizes[i].Val(), elems, ttl)
	}
	return nil
}

func (cs census) count(class, typ string, bytes, elems int64, ttl float64) {
	s := cs[class]
	if s == nil {
		s = &classStats{Class: class, Type: typ, MinTTL: ttl, MaxTTL: ttl}
		cs[class] = s
	}
	s.Keys++
	s.Bytes += bytes
	s.Elements += elems
	s.MinTTL, s.MaxTTL = min(s.MinTTL, ttl), max(s.MaxTTL, ttl)
}

// classDelta is how a class changed between two censuses.
type classDelta struct {
	Class    string  `json:"class"`
	Type     string  `json:"type"`
	Keys     int64   `json:"keys"`
	Bytes    int64   `json:"bytes"`
	Elements int64   `json:"elements"`
	MaxTTL   float64 `json:"max_ttl_s"` // of the later census; -1: no TTL
}

// diff lists the classes whose keys, bytes or elements changed from
// before to cs, largest change in bytes first.
func (cs census) diff(before census) []classDelta {
	var out []classDelta
	seen := map[string]bool{}
	for class, a := range cs {
		seen[class] = true
		d := classDelta{Class: class, Type: a.Type, Keys: a.Keys, Bytes: a.Bytes, Elements: a.Elements, MaxTTL: a.MaxTTL}
		if b := before[class]; b != nil {
			d.Keys, d.Bytes, d.Elements = a.Keys-b.Keys, a.Bytes-b.Bytes, a.Elements-b.Elements
		}
		if d.Keys != 0 || d.Bytes != 0 || d.Elements != 0 {
			out = append(out, d)
		}
	}
	for class, b := range before {
		if !seen[class] {
			out = append(out, classDelta{Class: class, Type: b.Type, Keys: -b.Keys, Bytes: -b.Bytes, Elements: -b.Elements, MaxTTL: b.MaxTTL})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ai, aj := abs64(out[i].Bytes), abs64(out[j].Bytes)
		if ai != aj {
			return ai > aj
		}
		return out[i].Class < out[j].Class
	})
	return out
}

// list is the census's classes, most bytes first.
func (cs census) list() []classStats {
	out := make([]classStats, 0, len(cs))
	for _, s := range cs {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Class < out[j].Class
	})
	return out
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// ttlText is a TTL in seconds as "7d", "24h", "61s", or "none".
func ttlText(s float64) string {
	switch {
	case s < 0:
		return "none"
	case s >= 86400:
		return fmt.Sprintf("%.0fd", s/86400)
	case s >= 3600:
		return fmt.Sprintf("%.0fh", s/3600)
	case s >= 60:
		return fmt.Sprintf("%.0fm", s/60)
	default:
		return (time.Duration(s*1000) * time.Millisecond).Round(100 * time.Millisecond).String()
	}
}
