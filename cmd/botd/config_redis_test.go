package main

import (
	"strings"
	"testing"
)

// BOTD_REDIS_URL takes every form internal/redisurl reads, refuses the rest
// with a reason, and never shows the password in the reason.
func TestValidateRedisURLForms(t *testing.T) {
	valid := []string{
		"redis://127.0.0.1:6379/0",
		"rediss://:pw@redis.internal:6380",
		"redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000",
		"rediss+cluster://botd:pw@10.0.0.1:7000,10.0.0.2:7000?key_prefix=prod:",
		"redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/mymaster",
		"rediss+sentinel://10.0.0.1:26379/mymaster?db=2",
	}
	for _, u := range valid {
		cfg := Default()
		cfg.AppID, cfg.AppSecret, cfg.VerificationToken = "cli_x", "s", "t"
		cfg.RedisURL = Secret(u)
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	const pw = "pw-never-shown"
	for _, u := range []string{
		"redis+cluster://:" + pw + "@10.0.0.1:7000,10.0.0.2:7000/2",
		"redis+sentinel://:" + pw + "@10.0.0.1:26379",
		"redis://:" + pw + "@a:1,b:2",
		"memcached://:" + pw + "@a:1",
	} {
		cfg := Default()
		cfg.AppID, cfg.AppSecret, cfg.VerificationToken = "cli_x", "s", "t"
		cfg.RedisURL = Secret(u)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "redis_url") {
			t.Errorf("%s: %v, want a redis_url error", u, err)
		} else if strings.Contains(err.Error(), pw) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
