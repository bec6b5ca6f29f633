// Package redisurl reads BOTD_REDIS_URL, the one place botd learns which
// Redis it runs on, and makes the go-redis client for it:
//
//	redis://[user:pass@]host:port[/db]                  one server (redis.NewClient)
//	rediss://…                                          the same over TLS
//	redis+cluster://[user:pass@]host:port[,host:port…]  a Redis Cluster (redis.NewClusterClient)
//	rediss+cluster://…                                  the same over TLS
//	redis+sentinel://[user:pass@]host:port[,host:port…]/MASTER_NAME
//	                                                    the primary Sentinel names (redis.NewFailoverClient)
//	rediss+sentinel://…                                 the same over TLS
//
// The query string takes go-redis's own options (dial_timeout, pool_size,
// db for Sentinel, …), parsed by go-redis (ParseURL, ParseClusterURL,
// ParseFailoverURL): this package only turns the comma-separated hosts and
// the master name into the forms those parsers read, and adds three options
// of botd's:
//
//	key_prefix         put every key botd writes under this prefix
//	                   (letters, digits, '_', '-', '.', ':'), so that several
//	                   deployments, or tests, share one Redis or cluster
//	sentinel_username  the sentinels' own credentials, when they have any
//	sentinel_password  (the user:pass of the URL are the data nodes')
//
// A cluster has one database: a database number (a path, or db=) is refused
// rather than ignored. No error or log line carries a password: String
// masks it, and errors describe the problem without quoting the URL.
package redisurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Kind is the topology a URL names.
type Kind int

// The kinds of Redis deployment.
const (
	Single   Kind = iota // one server, or a primary with replicas that botd does not follow
	Cluster              // a Redis Cluster
	Sentinel             // a primary found (and followed through failovers) by Sentinel
)

func (k Kind) String() string {
	switch k {
	case Cluster:
		return "cluster"
	case Sentinel:
		return "sentinel"
	default:
		return "single"
	}
}

// Timeouts applied when the URL sets none: a webhook must answer within
// 3 s even when Redis hangs, and a failover client must give up on a dead
// primary quickly enough to ask the sentinels again.
const (
	DialTimeout  = 2 * time.Second
	ReadTimeout  = time.Second
	WriteTimeout = time.Second
)

// FailoverRetries is how often a command is retried on a Sentinel
// deployment when the URL sets no max_retries: with go-redis's back-off
// (8 ms doubling to 512 ms) about 3.5 s of retrying, the time Sentinel takes
// to promote a replica with down-after-milliseconds 1000. go-redis's
// default, 3, gives up after about 60 ms.
const FailoverRetries = 10

// maxPrefix bounds key_prefix.
const maxPrefix = 64

// URL is a parsed BOTD_REDIS_URL.
type URL struct {
	Kind Kind
	// TLS is true for the rediss schemes.
	TLS bool
	// Addrs are the servers named: the one server, the cluster's seed
	// nodes, or the sentinels.
	Addrs []string
	// MasterName is the Sentinel master name.
	MasterName string
	// KeyPrefix is the key_prefix option, "" when absent.
	KeyPrefix string

	single   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions
	redacted string
}

// Parse reads raw. Errors never quote raw, which may hold a password.
func Parse(raw string) (*URL, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, errors.New("not a URL: want redis://, rediss://, redis+cluster://, rediss+cluster://, redis+sentinel:// or rediss+sentinel://")
	}
	u := &URL{}
	base := "redis"
	switch scheme {
	case "redis":
	case "rediss":
		u.TLS = true
	case "redis+cluster":
		u.Kind = Cluster
	case "rediss+cluster":
		u.Kind, u.TLS = Cluster, true
	case "redis+sentinel":
		u.Kind = Sentinel
	case "rediss+sentinel":
		u.Kind, u.TLS = Sentinel, true
	default:
		return nil, fmt.Errorf("unknown scheme %q: want redis://, rediss://, redis+cluster://, rediss+cluster://, redis+sentinel:// or rediss+sentinel://", scheme)
	}
	if u.TLS {
		base = "rediss"
	}
	if strings.ContainsAny(rest, "#") {
		return nil, errors.New("a fragment (#) is not allowed; percent-encode '#' in a password as %23")
	}

	// [userinfo@]hosts[/path][?query]. The userinfo ends at the last '@'
	// before the path, so a password may hold '/' only percent-encoded.
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hosts := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	path, rawQuery, _ := strings.Cut(tail, "?")
	var creds *url.Userinfo
	if userinfo != "" {
		var err error
		if creds, err = parseUserinfo(userinfo); err != nil {
			return nil, err
		}
	}
	defaultPort := "6379"
	if u.Kind == Sentinel {
		defaultPort = "26379"
	}
	for _, h := range strings.Split(hosts, ",") {
		host, port, err := net.SplitHostPort(h)
		if err != nil && !strings.Contains(h, ":") {
			host, port, err = h, defaultPort, nil // a host alone, as redis://localhost has always meant
		}
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 || host == "" || strings.ContainsAny(host, " \t[]") {
			return nil, fmt.Errorf("%s: want host:port for every server, comma-separated", scheme)
		}
		u.Addrs = append(u.Addrs, net.JoinHostPort(host, port))
	}
	if len(u.Addrs) > 1 && u.Kind == Single {
		return nil, fmt.Errorf("%s: names %d servers; use redis+cluster:// for a Redis Cluster or redis+sentinel:// for Sentinel", scheme, len(u.Addrs))
	}

	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, errors.New("the query string is not valid")
	}
	if q.Has("addr") {
		return nil, errors.New("addr=: list every server in the host part, comma-separated")
	}
	if p := q.Get("key_prefix"); q.Has("key_prefix") {
		if err := CheckKeyPrefix(p); err != nil {
			return nil, err
		}
		u.KeyPrefix = p
		q.Del("key_prefix")
	}
	sentUser, sentPass := q.Get("sentinel_username"), q.Get("sentinel_password")
	if (q.Has("sentinel_username") || q.Has("sentinel_password")) && u.Kind != Sentinel {
		return nil, errors.New("sentinel_username and sentinel_password are for redis+sentinel:// only")
	}
	q.Del("sentinel_username")
	q.Del("sentinel_password")

	// The form go-redis's parsers read: the first server in the host part,
	// the others as addr= parameters.
	for _, a := range u.Addrs[1:] {
		q.Add("addr", a)
	}
	switch u.Kind {
	case Single:
		u.single, err = redis.ParseURL(base + "://" + userinfo + u.Addrs[0] + path + encode(q))
	case Cluster:
		if strings.Trim(path, "/") != "" || q.Has("db") {
			return nil, errors.New("redis+cluster://: a Redis Cluster has only database 0; remove the database number")
		}
		u.cluster, err = redis.ParseClusterURL(base + "://" + userinfo + u.Addrs[0] + encode(q))
	case Sentinel:
		u.MasterName = strings.Trim(path, "/")
		if u.MasterName == "" || strings.Contains(u.MasterName, "/") {
			return nil, errors.New("redis+sentinel://: want the master name as the path, /MASTER_NAME (a database goes in db=)")
		}
		if q.Has("master_name") || q.Has("username") || q.Has("password") {
			return nil, errors.New("redis+sentinel://: the master name is the path and the credentials are the URL's user:pass, not query parameters")
		}
		// go-redis reads the URL's userinfo as the sentinels' credentials
		// and the data nodes' from parameters; botd's URL says it the
		// other way round, the way an operator thinks of it.
		if creds != nil {
			q.Set("username", creds.Username())
			if p, ok := creds.Password(); ok {
				q.Set("password", p)
			}
		}
		q.Set("master_name", u.MasterName)
		sent := ""
		if sentUser != "" || sentPass != "" {
			sent = url.UserPassword(sentUser, sentPass).String() + "@"
		}
		u.failover, err = redis.ParseFailoverURL(base + "://" + sent + u.Addrs[0] + encode(q))
	}
	if err != nil {
		return nil, errors.New(scrub(err.Error(), userinfo, sentPass))
	}
	u.redacted = redact(scheme, userinfo, hosts, path, rawQuery)
	return u, nil
}

// CheckKeyPrefix refuses a key prefix that could break the key schema: a
// brace would change the hash slot of every key (Redis Cluster hashes only
// what is between the first '{' and the next '}').
func CheckKeyPrefix(p string) error {
	if p == "" || len(p) > maxPrefix {
		return fmt.Errorf("key_prefix: want 1 to %d characters", maxPrefix)
	}
	for _, c := range p {
		if c != '_' && c != '-' && c != '.' && c != ':' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && !('0' <= c && c <= '9') {
			return errors.New("key_prefix: want letters, digits, '_', '-', '.' and ':' only")
		}
	}
	return nil
}

// parseUserinfo reads "user:pass@" without ever quoting it in an error.
func parseUserinfo(ui string) (*url.Userinfo, error) {
	u, err := url.Parse("redis://" + ui + "localhost")
	if err != nil || u.User == nil {
		return nil, errors.New("the user:password part is not valid (percent-encode ':', '@', '/' and '%' in a password)")
	}
	return u.User, nil
}

// encode is "?query", or "" for none.
func encode(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// scrub removes any trace of the credentials from an error of go-redis.
func scrub(msg, userinfo, sentinelPassword string) string {
	for _, secret := range []string{userinfo, strings.TrimSuffix(userinfo, "@"), sentinelPassword} {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "xxxxx")
		}
	}
	if ui, err := parseUserinfo(userinfo); userinfo != "" && err == nil {
		if p, ok := ui.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}

// redact is the URL with its password and sentinel_password masked.
func redact(scheme, userinfo, hosts, path, rawQuery string) string {
	s := scheme + "://"
	if userinfo != "" {
		ui, _ := parseUserinfo(userinfo)
		if _, has := ui.Password(); has {
			s += url.UserPassword(ui.Username(), "xxxxx").String() + "@"
		} else {
			s += ui.String() + "@"
		}
	}
	s += hosts + path
	if rawQuery != "" {
		q, _ := url.ParseQuery(rawQuery)
		if q.Has("sentinel_password") {
			q.Set("sentinel_password", "xxxxx")
		}
		s += "?" + q.Encode()
	}
	return s
}

// String is the URL with its passwords masked, for logs.
func (u *URL) String() string { return u.redacted }

// NewClient makes the go-redis client for u, with botd's timeouts where
// the URL sets none: *redis.Client for one server and for Sentinel (a
// failover client, which asks the sentinels for the primary and follows
// it through a failover), *redis.ClusterClient for a cluster. The caller
// closes it.
func (u *URL) NewClient() redis.UniversalClient {
	switch u.Kind {
	case Cluster:
		o := *u.cluster
		timeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
		return redis.NewClusterClient(&o)
	case Sentinel:
		o := *u.failover
		timeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
		if o.MaxRetries == 0 {
			// Ride out a failover (the sentinels take a few seconds to agree
			// and promote a replica) rather than fail at once: a retry
			// dials the primary the sentinels name then. The caller's
			// context still bounds it (a webhook's 3 s, a job's timeout).
			o.MaxRetries = FailoverRetries
		}
		return redis.NewFailoverClient(&o)
	default:
		o := *u.single
		timeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
		return redis.NewClient(&o)
	}
}

// DB is the database number of a single server or a Sentinel primary (0
// for a cluster).
func (u *URL) DB() int {
	switch u.Kind {
	case Single:
		return u.single.DB
	case Sentinel:
		return u.failover.DB
	}
	return 0
}

func timeouts(dial, read, write *time.Duration) {
	if *dial == 0 {
		*dial = DialTimeout
	}
	if *read == 0 {
		*read = ReadTimeout
	}
	if *write == 0 {
		*write = WriteTimeout
	}
}
