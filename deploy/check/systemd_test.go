package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSystemdUnit(t *testing.T) {
	data := readRepoFile(t, "deploy/systemd/botd.service")
	_, errs := CheckUnit(data, image(t).shutdown)
	for _, err := range errs {
		t.Error(err)
	}
	// systemd's own verdict, where systemd-analyze is installed (Debian
	// ships it with systemd): the unit verifies without a warning, and its
	// exposure score is at most 2.0 of 10 ("OK"). ExecStart must name an
	// existing executable for verify, so a copy points at the image's
	// binary.
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("no systemd-analyze: systemd's own checks skipped")
		return
	}
	unit := filepath.Join(t.TempDir(), "botd.service")
	patched := mustReplace(t, string(data), "ExecStart=/usr/local/bin/botd ", "ExecStart="+image(t).bin+" ")
	if err := os.WriteFile(unit, []byte(patched), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(sa, "security", "--offline=true", "--threshold=20", unit).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0: %v\n%s", err, out)
	} else if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) > 0 {
		t.Log(lines[len(lines)-1])
	}
}

func TestSystemdUnitBroken(t *testing.T) {
	orig := string(readRepoFile(t, "deploy/systemd/botd.service"))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"no DynamicUser", "DynamicUser=yes\n", "", "DynamicUser"},
		{"root user", "DynamicUser=yes\n", "DynamicUser=no\n", "DynamicUser"},
		{"system writable", "ProtectSystem=strict", "ProtectSystem=full", "ProtectSystem"},
		{"capabilities kept", "CapabilityBoundingSet=\n", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n", "CapabilityBoundingSet"},
		{"killed while draining", "TimeoutStopSec=30s", "TimeoutStopSec=10s", "TimeoutStopSec"},
		{"start limit in [Service]", "Restart=on-failure\n", "Restart=on-failure\nStartLimitBurst=5\n", "belongs in [Unit]"},
		{"inline secret", "Environment=BOTD_LOG_FORMAT=json", "Environment=BOTD_APP_SECRET=hunter2", "EnvironmentFile"},
		{"no env file", "EnvironmentFile=/etc/botd/botd.env\n", "", "EnvironmentFile"},
		{"raw sockets", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_PACKET", "RestrictAddressFamilies"},
		{"unknown section", "[Install]", "[Instal]", "unknown section"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := CheckUnit([]byte(mustReplace(t, orig, tc.old, tc.new)), 15*time.Second)
			wantProblem(t, errs, tc.want)
		})
	}
}

// TestSystemdAnalyzeCatches shows that the systemd-analyze step of
// TestSystemdUnit fails on a unit systemd would half-ignore.
func TestSystemdAnalyzeCatches(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze")
	}
	data := string(readRepoFile(t, "deploy/systemd/botd.service"))
	data = mustReplace(t, data, "ExecStart=/usr/local/bin/botd ", "ExecStart=/bin/true ")
	data = mustReplace(t, data, "ProtectSystem=strict", "ProtectSytem=strict")
	unit := filepath.Join(t.TempDir(), "botd.service")
	if err := os.WriteFile(unit, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(sa, "verify", unit).CombinedOutput()
	if !strings.Contains(string(out), "ProtectSytem") {
		t.Errorf("systemd-analyze verify said nothing of a misspelt key: %s", out)
	}
	if _, errs := CheckUnit([]byte(data), 15*time.Second); len(errs) == 0 {
		t.Error("CheckUnit accepted a unit without ProtectSystem")
	}
}
