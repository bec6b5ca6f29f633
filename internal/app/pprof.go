//go:build pprof

package app

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// A botd built with -tags pprof (cmd/botload -pprof builds it so) serves
// net/http/pprof on BOTD_PPROF_ADDR, a loopback address, so that a profile
// can be taken of the real binary under load. Release builds have no such
// file, hence no such endpoint and no such setting.
func init() {
	addr := os.Getenv("BOTD_PPROF_ADDR")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "botd: BOTD_PPROF_ADDR %q: want a loopback host:port; pprof not served\n", addr)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			fmt.Fprintf(os.Stderr, "botd: pprof on %s: %v\n", addr, err)
		}
	}()
}
