// Package logging builds the process logger from config: one structured line per
// decision a person would want to find later.
package logging

import (
	"io"
	"log/slog"
	"strings"

	"github.com/synco-dev/synco/platform/config"
)

// New returns a logger writing to w at the configured level and format.
func New(w io.Writer, c config.Log) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(c.Level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
