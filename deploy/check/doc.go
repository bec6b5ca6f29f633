// Package check verifies the deployment artefacts in deploy/ with the
// libraries made for them (the Helm SDK and the Kubernetes API types,
// compose-go, Prometheus' rule and PromQL parsers, BuildKit's Dockerfile
// parser, go-systemd's unit parser), and runs the static binary the way the
// image runs it.
//
// It is its own Go module so that botd's module does not carry these
// dependencies; `go test ./...` at the repository root does not reach it.
// Run it with:
//
//	cd deploy/check && go test ./...
//
// Each checker takes the artefact's bytes and returns the problems it finds,
// so the tests feed it both the real file and broken variants of it.
package check
