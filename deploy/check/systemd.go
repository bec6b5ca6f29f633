package check

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/unit"
)

// unitRequired are the [Service] settings botd's unit must have, with the
// value each must have. They are the hardening the issue asks for (an
// ephemeral user, a read-only system, no privileges) and the few that keep
// a restart loop bounded.
var unitRequired = map[string]string{
	"Type":                    "exec",
	"DynamicUser":             "yes",
	"NoNewPrivileges":         "yes",
	"CapabilityBoundingSet":   "",
	"ProtectSystem":           "strict",
	"ProtectHome":             "yes",
	"PrivateTmp":              "yes",
	"PrivateDevices":          "yes",
	"ProtectKernelTunables":   "yes",
	"ProtectKernelModules":    "yes",
	"ProtectControlGroups":    "yes",
	"RestrictSUIDSGID":        "yes",
	"RestrictNamespaces":      "yes",
	"LockPersonality":         "yes",
	"MemoryDenyWriteExecute":  "yes",
	"SystemCallArchitectures": "native",
	"KillSignal":              "SIGTERM",
	"Restart":                 "on-failure",
	"UMask":                   "0077",
}

// UnitFile is what CheckUnit returns of a parsed unit.
type UnitFile struct {
	Options     []*unit.UnitOption
	StopTimeout time.Duration // TimeoutStopSec
}

// CheckUnit parses a systemd unit with go-systemd's parser and checks that
// it runs botd hardened: every setting of unitRequired with its value,
// secrets from an EnvironmentFile (never inline), an ExecStart that names
// the config file, a TimeoutStopSec longer than botd's shutdown timeout,
// and no setting outside the sections it belongs to.
func CheckUnit(data []byte, shutdownTimeout time.Duration) (UnitFile, []error) {
	var uf UnitFile
	opts, err := unit.DeserializeOptions(bytes.NewReader(data))
	if err != nil {
		return uf, []error{fmt.Errorf("parse unit: %w", err)}
	}
	uf.Options = opts
	var errs []error
	service := map[string][]string{}
	for _, o := range opts {
		switch o.Section {
		case "Unit", "Install":
		case "Service":
			service[o.Name] = append(service[o.Name], o.Value)
		default:
			errs = append(errs, fmt.Errorf("unknown section [%s]", o.Section))
		}
		if o.Section != "Service" && strings.HasPrefix(o.Name, "Exec") {
			errs = append(errs, fmt.Errorf("%s in [%s], not [Service]", o.Name, o.Section))
		}
		if o.Section == "Service" && strings.HasPrefix(o.Name, "StartLimit") {
			errs = append(errs, fmt.Errorf("%s belongs in [Unit] (systemd ignores it in [Service])", o.Name))
		}
		if o.Name == "Environment" && secretName(o.Value) {
			errs = append(errs, fmt.Errorf("Environment=%s: a secret inline in the unit is world-readable (systemctl show); use EnvironmentFile", strings.SplitN(o.Value, "=", 2)[0]))
		}
	}
	for name, want := range unitRequired {
		got, ok := service[name]
		if !ok {
			errs = append(errs, fmt.Errorf("[Service] %s=%s is missing", name, want))
			continue
		}
		if got[len(got)-1] != want {
			errs = append(errs, fmt.Errorf("[Service] %s=%s, want %s", name, got[len(got)-1], want))
		}
	}
	if len(service["EnvironmentFile"]) == 0 {
		errs = append(errs, fmt.Errorf("[Service] no EnvironmentFile: where would the secrets come from?"))
	}
	exec := service["ExecStart"]
	if len(exec) != 1 || !strings.Contains(exec[0], "-config ") {
		errs = append(errs, fmt.Errorf("[Service] ExecStart=%v: one command, with -config", exec))
	}
	if len(service["SystemCallFilter"]) == 0 {
		errs = append(errs, fmt.Errorf("[Service] no SystemCallFilter"))
	}
	if fams := service["RestrictAddressFamilies"]; len(fams) == 0 || slices.ContainsFunc(strings.Fields(fams[len(fams)-1]), func(f string) bool { return f != "AF_INET" && f != "AF_INET6" && f != "AF_UNIX" }) {
		errs = append(errs, fmt.Errorf("[Service] RestrictAddressFamilies=%v: AF_INET, AF_INET6 and AF_UNIX only", fams))
	}
	if stop := service["TimeoutStopSec"]; len(stop) == 0 {
		errs = append(errs, fmt.Errorf("[Service] no TimeoutStopSec: systemd's default (90s) hides a hung shutdown"))
	} else if d, err := time.ParseDuration(stop[len(stop)-1]); err != nil {
		errs = append(errs, fmt.Errorf("[Service] TimeoutStopSec=%s: write it as a Go-style duration (30s)", stop[len(stop)-1]))
	} else {
		uf.StopTimeout = d
		if d <= shutdownTimeout {
			errs = append(errs, fmt.Errorf("[Service] TimeoutStopSec=%v is not longer than botd's shutdown timeout %v: systemd would SIGKILL botd while it drains", d, shutdownTimeout))
		}
	}
	return uf, errs
}
