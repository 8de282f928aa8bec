package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress reports how far a long command has got: a bar redrawn in place
// when w is a terminal, and otherwise (a log file, a pipe) a plain line at
// every tenth of the way and at most every plainEvery in between, so that
// a log holds a few lines rather than thousands of redraws.
type progress interface {
	Set(done int64)
	Finish()
}

// plainEvery is the longest a plain progress report stays silent while
// work goes on.
const plainEvery = 5 * time.Second

func newProgress(w io.Writer, total int64, what, unit string) progress {
	if isTerminal(w) {
		return barProgress{progressbar.NewOptions64(total, progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())}
	}
	return &plainProgress{w: w, total: total, what: what, unit: unit, start: time.Now(), last: time.Now()}
}

// isTerminal reports whether w is a character device, as a terminal is.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

type barProgress struct{ bar *progressbar.ProgressBar }

func (b barProgress) Set(done int64) { _ = b.bar.Set64(done) }
func (b barProgress) Finish()        { _ = b.bar.Finish() }

type plainProgress struct {
	mu          sync.Mutex
	w           io.Writer
	total       int64
	what, unit  string
	start, last time.Time
	tenth       int64 // the last tenth of the way reported
	done        int64
}

func (p *plainProgress) Set(done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	tenth := int64(0)
	if p.total > 0 {
		tenth = min(10, done*10/p.total)
	}
	if tenth > p.tenth || time.Since(p.last) >= plainEvery {
		p.tenth = max(p.tenth, tenth)
		p.line()
	}
}

func (p *plainProgress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line()
}

func (p *plainProgress) line() {
	p.last = time.Now()
	d := time.Since(p.start)
	pct := ""
	if p.total > 0 {
		pct = fmt.Sprintf(" (%d%%)", min(100, p.done*100/p.total))
	}
	fmt.Fprintf(p.w, "%s: %d of %d %s%s after %s\n", p.what, p.done, p.total, p.unit, pct, d.Round(100*time.Millisecond))
}
