package check

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Image is what the check reads from deploy/Dockerfile: enough to repeat
// its build stage on this machine (BuildImage) and to run the result the
// way the final stage would (StartAsImage).
type Image struct {
	GoVersion string // the default of ARG GO_VERSION

	BuildWorkdir string            // the build stage's WORKDIR
	BuildEnv     map[string]string // its ARGs with defaults and ENVs
	Copies       []Copy            // its COPYs from the build context
	GoRuns       [][]string        // its RUNs, each one go command

	Artifact  string // the path in the build stage the final stage copies
	FinalPath string // where the final stage puts it
	FinalBase string // the final stage's FROM
	UID, GID  int    // the final stage's USER
	Expose    []int
	Argv      []string // ENTRYPOINT then CMD, exec form
}

// Copy is one COPY from the build context into the build stage.
type Copy struct {
	Sources []string
	Dest    string // absolute, in the build stage
}

// minimalBases are final images with nothing but what a static binary
// needs; a distro image with a shell and a package manager is refused.
var minimalBases = []string{"gcr.io/distroless/static", "cgr.dev/chainguard/static", "scratch"}

var numericUser = regexp.MustCompile(`^([0-9]+)(?::([0-9]+))?$`)

// ParseDockerfile parses a Dockerfile with BuildKit's own parser and
// instruction reader (its lint warnings count as problems) and checks what
// botd's image needs: a build stage on the official Go image running only
// go commands with CGO_ENABLED=0 and -trimpath, and a final stage on a
// minimal base that copies the one binary from it, runs it as a numeric
// non-root USER from an exec-form ENTRYPOINT, EXPOSEs a port, has no RUN
// (no shell there), no HEALTHCHECK (probes are the orchestrator's) and no
// secret baked into ENV or ARG.
func ParseDockerfile(data []byte) (Image, []error) {
	var img Image
	var errs []error
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return img, []error{fmt.Errorf("parse Dockerfile: %w", err)}
	}
	for _, w := range res.Warnings {
		errs = append(errs, fmt.Errorf("Dockerfile: %s", w.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		errs = append(errs, fmt.Errorf("Dockerfile:%d: %s: %s", line, rule, msg))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return img, append(errs, fmt.Errorf("Dockerfile: %w", err))
	}
	lex := shell.NewLex(res.EscapeToken)
	meta := map[string]string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			meta[kv.Key] = kv.ValueString()
			if secretName(kv.Key) {
				errs = append(errs, fmt.Errorf("ARG %s: a secret in a build argument stays in the image's history", kv.Key))
			}
		}
	}
	img.GoVersion = meta["GO_VERSION"]
	if len(stages) < 2 {
		return img, append(errs, fmt.Errorf("Dockerfile has %d stage(s): build and run in separate stages, so the final image carries no toolchain", len(stages)))
	}
	expand := func(env map[string]string, s string) string {
		r, _, err := lex.ProcessWord(s, shell.EnvsFromSlice(envList(env)))
		if err != nil {
			errs = append(errs, fmt.Errorf("expand %q: %w", s, err))
			return s
		}
		return r
	}

	final := stages[len(stages)-1]
	var build *instructions.Stage
	for _, c := range final.Commands {
		if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
			for i := range stages[:len(stages)-1] {
				if stages[i].Name == cp.From {
					build = &stages[i]
				}
			}
			if build == nil {
				errs = append(errs, fmt.Errorf("final stage copies from %q, not a stage of this file", cp.From))
				continue
			}
			if img.Artifact != "" || len(cp.SourcePaths) != 1 {
				errs = append(errs, fmt.Errorf("the final stage must copy exactly one file, the binary, from the build stage"))
				continue
			}
			img.Artifact, img.FinalPath = cp.SourcePaths[0], cp.DestPath
		}
	}
	if build == nil {
		return img, append(errs, fmt.Errorf("the final stage copies nothing from a build stage"))
	}

	// The build stage.
	if base := expand(meta, build.BaseName); !strings.HasPrefix(base, "golang:") {
		errs = append(errs, fmt.Errorf("build stage FROM %s: use the official Go image (golang:${GO_VERSION})", base))
	}
	img.BuildEnv = map[string]string{}
	img.BuildWorkdir = "/"
	for _, c := range build.Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				img.BuildEnv[kv.Key] = expand(img.BuildEnv, kv.ValueString())
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				img.BuildEnv[kv.Key] = expand(img.BuildEnv, kv.Value)
			}
		case *instructions.WorkdirCommand:
			img.BuildWorkdir = path.Join(img.BuildWorkdir, expand(img.BuildEnv, c.Path))
		case *instructions.CopyCommand:
			if c.From != "" {
				errs = append(errs, fmt.Errorf("build stage: COPY --from=%s: the check can only repeat copies from the context", c.From))
				continue
			}
			dest := expand(img.BuildEnv, c.DestPath)
			if !path.IsAbs(dest) {
				dest = path.Join(img.BuildWorkdir, dest)
			}
			var srcs []string
			for _, s := range c.SourcePaths {
				srcs = append(srcs, expand(img.BuildEnv, s))
			}
			img.Copies = append(img.Copies, Copy{Sources: srcs, Dest: dest})
		case *instructions.RunCommand:
			if !c.PrependShell || len(c.CmdLine) != 1 {
				errs = append(errs, fmt.Errorf("build stage: RUN %v: use the shell form with one go command", c.CmdLine))
				continue
			}
			if slices.ContainsFunc([]string{";", "&", "|", "`", "$("}, func(op string) bool { return strings.Contains(c.CmdLine[0], op) }) {
				errs = append(errs, fmt.Errorf("build stage: RUN %q: one go command per RUN, so the check can repeat it", c.CmdLine[0]))
				continue
			}
			argv, err := lex.ProcessWords(c.CmdLine[0], shell.EnvsFromSlice(envList(img.BuildEnv)))
			if err != nil || len(argv) == 0 || argv[0] != "go" {
				errs = append(errs, fmt.Errorf("build stage: RUN %q is not a go command", c.CmdLine[0]))
				continue
			}
			img.GoRuns = append(img.GoRuns, argv)
		default:
			errs = append(errs, fmt.Errorf("build stage: %s: the check cannot repeat this instruction", c.Name()))
		}
	}
	if img.BuildEnv["CGO_ENABLED"] != "0" {
		errs = append(errs, fmt.Errorf("build stage: ENV CGO_ENABLED=0 is missing: the binary would need libc, which the final image does not have"))
	}
	built := false
	for _, argv := range img.GoRuns {
		if len(argv) > 1 && argv[1] == "build" {
			built = true
			if !slices.Contains(argv, "-trimpath") {
				errs = append(errs, fmt.Errorf("go build without -trimpath: the binary would carry the builder's paths"))
			}
			if i := slices.Index(argv, "-o"); i < 0 || i+1 >= len(argv) || argv[i+1] != img.Artifact {
				errs = append(errs, fmt.Errorf("go build does not write -o %s, the file the final stage copies", img.Artifact))
			}
		}
	}
	if !built {
		errs = append(errs, fmt.Errorf("build stage runs no go build"))
	}

	// The final stage.
	img.FinalBase = expand(meta, final.BaseName)
	if !slices.ContainsFunc(minimalBases, func(b string) bool {
		return img.FinalBase == b || strings.HasPrefix(img.FinalBase, b+"-") || strings.HasPrefix(img.FinalBase, b+":")
	}) {
		errs = append(errs, fmt.Errorf("final stage FROM %s: use a minimal base (%v)", img.FinalBase, minimalBases))
	}
	var entrypoint, cmd []string
	user := ""
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			for _, p := range c.Ports {
				n, err := strconv.Atoi(strings.TrimSuffix(p, "/tcp"))
				if err != nil {
					errs = append(errs, fmt.Errorf("EXPOSE %s: not a TCP port", p))
					continue
				}
				img.Expose = append(img.Expose, n)
			}
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				errs = append(errs, fmt.Errorf("ENTRYPOINT in shell form: the final image has no shell, and signals would not reach botd"))
			}
			entrypoint = c.CmdLine
		case *instructions.CmdCommand:
			if c.PrependShell {
				errs = append(errs, fmt.Errorf("CMD in shell form: the final image has no shell"))
			}
			cmd = c.CmdLine
		case *instructions.HealthCheckCommand:
			errs = append(errs, fmt.Errorf("HEALTHCHECK in the image: probes belong to the orchestrator (/healthz, /readyz)"))
		case *instructions.RunCommand:
			errs = append(errs, fmt.Errorf("RUN in the final stage: a minimal image has no shell to run it"))
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if secretName(kv.Key) {
					errs = append(errs, fmt.Errorf("ENV %s: secrets are given at run time, never baked into the image", kv.Key))
				}
			}
		case *instructions.ArgCommand, *instructions.WorkdirCommand, *instructions.LabelCommand:
		default:
			errs = append(errs, fmt.Errorf("final stage: unexpected %s", c.Name()))
		}
	}
	m := numericUser.FindStringSubmatch(user)
	switch {
	case user == "":
		errs = append(errs, fmt.Errorf("final stage has no USER: botd would run as root"))
	case m == nil:
		errs = append(errs, fmt.Errorf("USER %s: use a numeric uid:gid, or Kubernetes' runAsNonRoot cannot verify it", user))
	default:
		img.UID, _ = strconv.Atoi(m[1])
		img.GID = img.UID
		if m[2] != "" {
			img.GID, _ = strconv.Atoi(m[2])
		}
		if img.UID == 0 || img.GID == 0 {
			errs = append(errs, fmt.Errorf("USER %s is root", user))
		}
	}
	if len(img.Expose) == 0 {
		errs = append(errs, fmt.Errorf("no EXPOSE: say which port botd listens on"))
	}
	img.Argv = append(slices.Clone(entrypoint), cmd...)
	if len(img.Argv) == 0 || img.Argv[0] != img.FinalPath {
		errs = append(errs, fmt.Errorf("ENTRYPOINT %v does not run %s, the binary the final stage copies", entrypoint, img.FinalPath))
	}
	return img, errs
}

// secretName says whether an ENV or ARG name looks like it holds a secret.
func secretName(name string) bool {
	n := strings.ToUpper(name)
	for _, s := range []string{"SECRET", "TOKEN", "PASSWORD", "ENCRYPT_KEY", "REDIS_URL"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func envList(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
