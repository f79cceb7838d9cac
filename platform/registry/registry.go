// Package registry resolves the schema registry: a configured URL, or srfake served
// in-process (reused when another Synco process already serves it).
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// EmbeddedAddr is where the embedded registry listens.
const EmbeddedAddr = "127.0.0.1:18081"

// Resolve returns a client for url, or for the embedded registry when url is empty.
// The closer stops what was started here.
func Resolve(url string, log *slog.Logger) (*sr.Client, string, func(), error) {
	if url == "" {
		if conn, err := net.DialTimeout("tcp", EmbeddedAddr, 300*time.Millisecond); err == nil {
			conn.Close()
			url = "http://" + EmbeddedAddr
			log.Info("using the embedded schema registry another synco process serves", "url", url)
		} else {
			u, closeFn, err := StartEmbedded(EmbeddedAddr)
			if err != nil {
				return nil, "", nil, err
			}
			log.Info("embedded schema registry started", "url", u)
			cl, err := sr.NewClient(sr.URLs(u))
			if err != nil {
				closeFn()
				return nil, "", nil, err
			}
			return cl, u, closeFn, nil
		}
	}
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		return nil, "", nil, fmt.Errorf("schema registry %s: %w", url, err)
	}
	return cl, url, func() {}, nil
}

// StartEmbedded serves srfake on addr (port 0 picks one) and returns its URL.
func StartEmbedded(addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("embedded schema registry on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: srfake.New().Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("embedded schema registry stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
