package main

import (
	"bytes"
	"strings"
	"testing"
)

// The previous encrypt key and verification token come from the file or the
// environment and reach the app.
func TestRotationKeysLoaded(t *testing.T) {
	path := writeFile(t, `
app_id: cli_x
app_secret: s
verification_token: tok-new
encrypt_key: key-new
encrypt_key_previous: key-old
`)
	cfg, err := LoadConfig(path, envOf(map[string]string{"BOTD_VERIFICATION_TOKEN_PREVIOUS": " tok-old "}))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.App()
	if a.PreviousEncryptKey != "key-old" || a.PreviousVerificationToken != "tok-old" {
		t.Errorf("app config: previous key %q, token %q", a.PreviousEncryptKey, a.PreviousVerificationToken)
	}
	if a.EncryptKey != "key-new" || a.VerificationToken != "tok-new" {
		t.Errorf("app config: key %q, token %q", a.EncryptKey, a.VerificationToken)
	}

	cfg, err = LoadConfig(path, envOf(map[string]string{"BOTD_ENCRYPT_KEY_PREVIOUS": "key-older"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.App().PreviousEncryptKey; got != "key-older" {
		t.Errorf("the environment did not win: %q", got)
	}
}

func TestRotationKeysValidated(t *testing.T) {
	base := func() Config {
		c := Default()
		c.AppID, c.AppSecret, c.VerificationToken, c.EncryptKey = "cli_x", "s", "tok-value", "key-value"
		return c
	}
	for _, tt := range []struct {
		name string
		edit func(*Config)
		want string // in the error; "" means valid
	}{
		{"both previous set", func(c *Config) { c.EncryptKeyPrevious, c.VerificationTokenPrevious = "key-old", "tok-old" }, ""},
		{"previous key without a current one", func(c *Config) { c.EncryptKey, c.EncryptKeyPrevious = "", "key-old" }, "encrypt_key_previous (BOTD_ENCRYPT_KEY_PREVIOUS) is set without encrypt_key"},
		{"previous key equal to the current one", func(c *Config) { c.EncryptKeyPrevious = "key-value" }, "encrypt_key_previous (BOTD_ENCRYPT_KEY_PREVIOUS) equals encrypt_key"},
		{"previous token without a current one", func(c *Config) {
			c.EventMode, c.VerificationToken, c.VerificationTokenPrevious = "websocket", "", "tok-old"
		}, "verification_token_previous (BOTD_VERIFICATION_TOKEN_PREVIOUS) is set without verification_token"},
		{"previous token equal to the current one", func(c *Config) { c.VerificationTokenPrevious = "tok-value" }, "verification_token_previous (BOTD_VERIFICATION_TOKEN_PREVIOUS) equals verification_token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "":
				return
			case err == nil:
				t.Fatal("accepted")
			case !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			for _, s := range []string{"key-value", "tok-value", "key-old", "tok-old"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error quotes a secret: %v", err)
				}
			}
		})
	}
}

// -check-config masks the previous secrets like the current ones.
func TestCheckConfigMasksPreviousSecrets(t *testing.T) {
	path := writeFile(t, "app_id: cli_x\napp_secret: s\nverification_token: tok-value\nencrypt_key: key-value\n"+
		"verification_token_previous: tok-old-value\nencrypt_key_previous: key-old-value\n")
	var out, errOut bytes.Buffer
	if code := run([]string{"-config", path, "-check-config"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, secret := range []string{"tok-old-value", "key-old-value"} {
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("-check-config printed a secret: %s", out.String())
		}
	}
	for _, key := range []string{"encrypt_key_previous: '********'", "verification_token_previous: '********'"} {
		if !strings.Contains(out.String(), key) {
			t.Errorf("-check-config does not show %s:\n%s", key, out.String())
		}
	}
}
