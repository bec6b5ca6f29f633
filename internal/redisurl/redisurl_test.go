package redisurl

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestParseForms(t *testing.T) {
	cases := []struct {
		raw        string
		kind       Kind
		tls        bool
		addrs      []string
		master     string
		db         int
		prefix     string
		user, pass string
		redacted   string
	}{
		{raw: "redis://127.0.0.1:6379/0", kind: Single, addrs: []string{"127.0.0.1:6379"}, redacted: "redis://127.0.0.1:6379/0"},
		{raw: "redis://:s3cret@redis:6379/4", kind: Single, addrs: []string{"redis:6379"}, db: 4, pass: "s3cret",
			redacted: "redis://:xxxxx@redis:6379/4"},
		{raw: "rediss://botd:p%40ss@cache.example:6380", kind: Single, tls: true, addrs: []string{"cache.example:6380"},
			user: "botd", pass: "p@ss", redacted: "rediss://botd:xxxxx@cache.example:6380"},
		{raw: "redis://127.0.0.1:6379/2?key_prefix=staging:&dial_timeout=5s", kind: Single, addrs: []string{"127.0.0.1:6379"},
			db: 2, prefix: "staging:"},
		{raw: "redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000", kind: Cluster,
			addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}},
		{raw: "rediss+cluster://u:pw@[::1]:7000,[::1]:7001/?key_prefix=t1:", kind: Cluster, tls: true,
			addrs: []string{"[::1]:7000", "[::1]:7001"}, user: "u", pass: "pw", prefix: "t1:",
			redacted: "rediss+cluster://u:xxxxx@[::1]:7000,[::1]:7001/?key_prefix=t1%3A"},
		{raw: "redis+cluster://127.0.0.1:7101", kind: Cluster, addrs: []string{"127.0.0.1:7101"}},
		{raw: "redis://localhost/1", kind: Single, addrs: []string{"localhost:6379"}, db: 1},
		{raw: "redis+sentinel://s1,s2:26380/m", kind: Sentinel, addrs: []string{"s1:26379", "s2:26380"}, master: "m"},
		{raw: "redis://[::1]:6380", kind: Single, addrs: []string{"[::1]:6380"}},
		{raw: "redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/mymaster", kind: Sentinel,
			addrs: []string{"127.0.0.1:26379", "127.0.0.1:26380"}, master: "mymaster", pass: "pw",
			redacted: "redis+sentinel://:xxxxx@127.0.0.1:26379,127.0.0.1:26380/mymaster"},
		{raw: "rediss+sentinel://s1:26379/prod?db=3&sentinel_password=sp", kind: Sentinel, tls: true,
			addrs: []string{"s1:26379"}, master: "prod", db: 3,
			redacted: "rediss+sentinel://s1:26379/prod?db=3&sentinel_password=xxxxx"},
	}
	for _, c := range cases {
		t.Run(c.raw, func(t *testing.T) {
			u, err := Parse(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			if u.Kind != c.kind || u.TLS != c.tls || !slices.Equal(u.Addrs, c.addrs) || u.MasterName != c.master ||
				u.DB() != c.db || u.KeyPrefix != c.prefix {
				t.Fatalf("got kind %v tls %v addrs %v master %q db %d prefix %q", u.Kind, u.TLS, u.Addrs, u.MasterName, u.DB(), u.KeyPrefix)
			}
			if c.redacted != "" && u.String() != c.redacted {
				t.Errorf("String() = %q, want %q", u.String(), c.redacted)
			}
			if c.pass != "" && strings.Contains(u.String(), c.pass) {
				t.Errorf("String() shows the password: %q", u.String())
			}
			rdb := u.NewClient()
			defer rdb.Close()
			var user, pass string
			var tls bool
			var dial, read time.Duration
			switch o := rdb.(type) {
			case *redis.ClusterClient:
				opts := o.Options()
				user, pass, tls, dial, read = opts.Username, opts.Password, opts.TLSConfig != nil, opts.DialTimeout, opts.ReadTimeout
				if !slices.Equal(opts.Addrs, c.addrs) {
					t.Errorf("cluster seeds %v", opts.Addrs)
				}
			case *redis.Client:
				opts := o.Options()
				user, pass, tls, dial, read = opts.Username, opts.Password, opts.TLSConfig != nil, opts.DialTimeout, opts.ReadTimeout
				if opts.DB != c.db {
					t.Errorf("client DB %d", opts.DB)
				}
			}
			if user != c.user || pass != c.pass || tls != c.tls {
				t.Errorf("client user %q pass %q tls %v", user, pass, tls)
			}
			wantDial := DialTimeout
			if c.prefix == "staging:" {
				wantDial = 5 * time.Second // the URL's own dial_timeout wins
			}
			if dial != wantDial || read != ReadTimeout {
				t.Errorf("timeouts dial %v read %v", dial, read)
			}
		})
	}
}

// The sentinels' credentials and the data nodes' go where go-redis wants
// them, the other way round from its own URL form.
func TestSentinelCredentials(t *testing.T) {
	u, err := Parse("redis+sentinel://botd:datapw@127.0.0.1:26379/m?sentinel_username=sent&sentinel_password=sentpw")
	if err != nil {
		t.Fatal(err)
	}
	o := u.failover
	if o.Username != "botd" || o.Password != "datapw" || o.SentinelUsername != "sent" || o.SentinelPassword != "sentpw" || o.MasterName != "m" {
		t.Fatalf("failover options: %+v", o)
	}
	if strings.Contains(u.String(), "datapw") || strings.Contains(u.String(), "sentpw") {
		t.Fatalf("String() shows a password: %s", u.String())
	}
}

func TestParseRefuses(t *testing.T) {
	const pw = "hunter2secret"
	cases := map[string]string{
		"no scheme":              "127.0.0.1:6379",
		"unknown scheme":         "http://:" + pw + "@127.0.0.1:6379",
		"unix socket":            "unix:///tmp/redis.sock",
		"several hosts, single":  "redis://:" + pw + "@a:1,b:2/0",
		"cluster with db path":   "redis+cluster://:" + pw + "@a:1,b:2/3",
		"cluster with db=":       "redis+cluster://:" + pw + "@a:1,b:2?db=1",
		"cluster with /0":        "redis+cluster://a:1/0",
		"sentinel without name":  "redis+sentinel://:" + pw + "@a:26379",
		"sentinel two segments":  "redis+sentinel://a:26379/m/2",
		"sentinel password=":     "redis+sentinel://a:26379/m?password=" + pw,
		"bad port":               "redis+cluster://:" + pw + "@a:x,b:2",
		"bad second port":        "redis+cluster://:" + pw + "@a:1,b:70000",
		"bare IPv6":              "redis://:" + pw + "@::1",
		"empty host":             "redis://:" + pw + "@:6379",
		"addr= parameter":        "redis+cluster://a:1?addr=b:2",
		"unknown option":         "redis://:" + pw + "@a:1?frobnicate=1",
		"bad option value":       "redis+cluster://:" + pw + "@a:1?pool_size=many",
		"prefix with a brace":    "redis://a:1?key_prefix=x{y}",
		"empty prefix":           "redis://a:1?key_prefix=",
		"sentinel opts on plain": "redis://a:1?sentinel_password=" + pw,
		"fragment":               "redis://:" + pw + "#x@a:1",
		"bad userinfo":           "redis://u:" + pw + "%zz@a:1",
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			u, err := Parse(raw)
			if err == nil {
				t.Fatalf("accepted: %+v", u)
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

func TestCheckKeyPrefix(t *testing.T) {
	for _, ok := range []string{"a", "botd-test:7:", "Prod.eu_1:"} {
		if err := CheckKeyPrefix(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "{x}", "a b", strings.Repeat("x", maxPrefix+1), "ключ"} {
		if CheckKeyPrefix(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A Sentinel client retries long enough to ride out a failover, unless the
// URL says otherwise; the others keep go-redis's default.
func TestFailoverRetries(t *testing.T) {
	for raw, want := range map[string]int{
		"redis+sentinel://127.0.0.1:26379/m":                FailoverRetries,
		"redis+sentinel://127.0.0.1:26379/m?max_retries=2":  2,
		"redis://127.0.0.1:6379":                            3,
		"redis+sentinel://127.0.0.1:26379/m?max_retries=-1": 0, // -1: none
	} {
		u, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		c := u.NewClient().(*redis.Client)
		if got := c.Options().MaxRetries; got != want {
			t.Errorf("%s: MaxRetries %d, want %d", raw, got, want)
		}
		_ = c.Close()
	}
}
