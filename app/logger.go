package app

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// NewLogger returns the structured logger the configuration asks for.
func NewLogger(cfg Config) *slog.Logger {
	out := cfg.LogOutput
	if out == nil {
		out = os.Stderr
	}
	return newLoggerTo(cfg, out)
}

func newLoggerTo(cfg Config, out io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}

// logFlushEvery bounds how long a request's log line waits in the buffer.
const logFlushEvery = 200 * time.Millisecond

// batchedWriter gathers the request log's lines and writes them in batches:
// one write(2) per request, under the logger's lock, was a fifth of the CPU
// of serving a cached page. Lines wait at most logFlushEvery, or until 64 KB
// have gathered, and Close writes what is left.
type batchedWriter struct {
	mu   sync.Mutex
	out  io.Writer
	buf  []byte
	stop chan struct{}
	done chan struct{}
}

func newBatchedWriter(out io.Writer) *batchedWriter {
	w := &batchedWriter{out: out, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(logFlushEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				w.flush()
			case <-w.stop:
				w.flush()
				return
			}
		}
	}()
	return w
}

func (w *batchedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= 64<<10
	w.mu.Unlock()
	if full {
		w.flush()
	}
	return len(p), nil
}

func (w *batchedWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		_, _ = w.out.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

// Close writes what is buffered and stops the periodic flush.
func (w *batchedWriter) Close() error {
	close(w.stop)
	<-w.done
	return nil
}
