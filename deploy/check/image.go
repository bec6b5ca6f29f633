package check

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ReadIgnoreFile reads a .dockerignore with the parser docker and BuildKit
// use.
func ReadIgnoreFile(data []byte) ([]string, error) {
	return ignorefile.ReadAll(bytes.NewReader(data))
}

// ContextFiles lists the files of the build context rooted at root that
// the ignore patterns let through, as slash paths relative to root, the
// way the docker client and BuildKit select them.
func ContextFiles(root string, patterns []string) ([]string, error) {
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("ignore patterns: %w", err)
	}
	var out []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// A directory is still walked when a later "!" pattern may let
			// something inside it through (as the docker client does).
			if skip, _ := pm.MatchesOrParentMatches(rel); skip && !pm.Exclusions() {
				return filepath.SkipDir
			}
			if d.Name() == ".git" {
				if skip, _ := pm.MatchesOrParentMatches(rel); skip {
					return filepath.SkipDir
				}
			}
			return nil
		}
		skip, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if !skip && d.Type().IsRegular() {
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}

// BuildImage repeats the image's build stage on this machine: it copies
// what the stage COPYs from the context (only the files the ignore file
// lets through) into dir, laid out as the stage's filesystem, and runs the
// stage's go commands there with the stage's environment (CGO_ENABLED=0
// and the rest) on this machine's Go toolchain and module cache. It returns
// the path of the file the final stage copies: the image's binary.
func BuildImage(root string, files []string, img Image, dir string) (string, error) {
	fsPath := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	for _, c := range img.Copies {
		multi := len(c.Sources) > 1 || strings.HasSuffix(c.Dest, "/")
		for _, src := range c.Sources {
			src = path.Clean(strings.TrimPrefix(src, "./"))
			n := 0
			for _, f := range files {
				var dest string
				switch {
				case f == src && multi:
					dest = path.Join(c.Dest, path.Base(f))
				case f == src:
					dest = c.Dest
				case src == "." || strings.HasPrefix(f, src+"/"):
					dest = path.Join(c.Dest, strings.TrimPrefix(f, src+"/"))
				default:
					continue
				}
				if err := copyFile(filepath.Join(root, filepath.FromSlash(f)), fsPath(dest), 0o644); err != nil {
					return "", err
				}
				n++
			}
			if n == 0 {
				return "", fmt.Errorf("COPY %s: nothing in the build context (is it ignored?)", src)
			}
		}
	}
	work := fsPath(img.BuildWorkdir)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", err
	}
	env := toolchainEnv()
	for k, v := range img.BuildEnv {
		env = append(env, k+"="+v)
	}
	for _, argv := range img.GoRuns {
		args := slices.Clone(argv[1:])
		for i, a := range args {
			if i > 0 && args[i-1] == "-o" {
				args[i] = fsPath(a)
				if err := os.MkdirAll(filepath.Dir(args[i]), 0o755); err != nil {
					return "", err
				}
			} else if path.IsAbs(a) {
				return "", fmt.Errorf("RUN %v: absolute path %s outside -o; the check cannot map it", argv, a)
			}
		}
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = work, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("RUN %s: %w\n%s", strings.Join(argv, " "), err, out)
		}
	}
	bin := fsPath(img.Artifact)
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("the build stage made no %s: %w", img.Artifact, err)
	}
	return bin, nil
}

// toolchainEnv is the part of this process's environment the go command
// needs to find its toolchain and module cache; nothing else leaks into
// the build.
func toolchainEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == "HOME" || k == "TMPDIR" || (strings.HasPrefix(k, "GO") && k != "GOOS" && k != "GOARCH") {
			env = append(env, kv)
		}
	}
	return env
}

func copyFile(src, dst string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// CheckStatic reports whether the ELF binary at p needs a dynamic loader or
// shared libraries, which distroless/static and scratch do not have.
func CheckStatic(p string) error {
	f, err := elf.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (it asks for an ELF interpreter)", filepath.Base(p))
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	if len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries %v", filepath.Base(p), libs)
	}
	return nil
}

// Rootfs is a stand-in for the image's filesystem: the binary at the
// final stage's path and a working directory, both read-only.
type Rootfs struct {
	Dir     string // the stand-in's root; remove it when done
	Bin     string // the binary
	Workdir string // an empty, read-only working directory
}

// NewRootfs lays out the image's binary in a fresh directory that the
// image's user can read and traverse but not write.
func NewRootfs(bin string, img Image) (Rootfs, error) {
	dir, err := os.MkdirTemp("", "botd-rootfs-")
	if err != nil {
		return Rootfs{}, err
	}
	r := Rootfs{Dir: dir, Bin: filepath.Join(dir, filepath.FromSlash(img.FinalPath)), Workdir: filepath.Join(dir, "work")}
	if err := copyFile(bin, r.Bin, 0o555); err != nil {
		return r, err
	}
	if err := os.MkdirAll(r.Workdir, 0o555); err != nil {
		return r, err
	}
	// Read-only for everyone, the image's user included (root, who builds
	// this, ignores the bits, so RemoveAll still works).
	for _, d := range []string{filepath.Dir(r.Bin), r.Workdir, dir} {
		if err := os.Chmod(d, 0o555); err != nil {
			return r, err
		}
	}
	return r, nil
}

// StartAsImage starts the binary as the image runs it: the final stage's
// argv (plus extra args), only the given environment, the read-only working
// directory and TMPDIR, and, when this process is root (as CI is), the
// image's numeric USER. It returns the started command; stop it with
// SIGTERM.
func StartAsImage(r Rootfs, img Image, env []string, stderr io.Writer, extra ...string) (*exec.Cmd, error) {
	args := append(slices.Clone(img.Argv[1:]), extra...)
	cmd := exec.Command(r.Bin, args...)
	cmd.Dir = r.Workdir
	cmd.Env = append([]string{
		// distroless' environment, and nowhere writable to point at.
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/home/nonroot",
		"TMPDIR=" + r.Workdir,
	}, env...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(img.UID), Gid: uint32(img.GID)}}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// FilesWrittenBy lists files under the usual writable places (/tmp,
// /var/tmp, /dev/shm) owned by uid and changed since since: what a process
// running as uid wrote there.
func FilesWrittenBy(uid int, since time.Time) []string {
	var out []string
	for _, root := range []string{os.TempDir(), "/tmp", "/var/tmp", "/dev/shm"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			st, ok := info.Sys().(*syscall.Stat_t)
			if ok && int(st.Uid) == uid && !info.ModTime().Before(since) && !slices.Contains(out, p) {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

// ignoreMustExclude are paths that must never reach a build context:
// secrets, the VCS, local binaries.
var ignoreMustExclude = []string{".git/config", "deploy/.env", "configs/botd.yaml", "botd", "bin/botd", "botd.test", "internal/app/app_test.go"}

// ignoreMustInclude are what the build stage compiles from.
var ignoreMustInclude = []string{"go.mod", "go.sum", "cmd/botd/main.go", "internal/app/app.go"}

// CheckIgnore checks ignore patterns against paths that must stay out of
// the build context and paths the build needs.
func CheckIgnore(patterns []string) []error {
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, p := range ignoreMustExclude {
		if skip, err := pm.MatchesOrParentMatches(p); err != nil || !skip {
			errs = append(errs, fmt.Errorf("the build context would hold %s", p))
		}
	}
	for _, p := range ignoreMustInclude {
		if skip, err := pm.MatchesOrParentMatches(p); err != nil || skip {
			errs = append(errs, fmt.Errorf("the build context would lack %s", p))
		}
	}
	return errs
}
