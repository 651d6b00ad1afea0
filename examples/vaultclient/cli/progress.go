package cli

import (
	"fmt"
	"io"
	"strings"
)

// progressThreshold: files at least this large get progress reports.
const progressThreshold = 1 << 20

// progressStep is the percentage between two plain progress lines, so a
// log gets at most 100/progressStep lines per file.
const progressStep = 10

// progress reports an upload's plaintext bytes read so far.
type progress interface {
	update(n int64)
	done()
}

// newProgress returns a bar redrawn in place on a terminal, else plain
// lines for pipes and logs, where carriage returns pile up on one line.
func newProgress(w io.Writer, terminal bool, name string, total int64) progress {
	if terminal {
		return &progressBar{w: w, name: name, total: total, last: -1}
	}
	return &progressLines{w: w, name: name, total: total}
}

// percent is n of total in whole percent, capped at 100 (the file may grow
// while it is read).
func percent(n, total int64) int {
	return int(min(n*100/max(total, 1), 100))
}

// progressBar draws "name [#####-----]  50%  1.0/2.0 MiB" on one line of w,
// redrawn at each whole percent.
type progressBar struct {
	w     io.Writer
	name  string
	total int64
	last  int
}

func (p *progressBar) update(n int64) {
	pct := percent(n, p.total)
	if pct == p.last {
		return
	}
	p.last = pct
	const width = 30
	fill := pct * width / 100
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %.1f/%.1f MiB", p.name,
		strings.Repeat("#", fill), strings.Repeat("-", width-fill), pct,
		float64(n)/(1<<20), float64(p.total)/(1<<20))
}

func (p *progressBar) done() { fmt.Fprintln(p.w) }

// progressLines writes "name: 30% (0.9/3.0 MiB)" as a line of its own each
// time another progressStep percent has been read.
type progressLines struct {
	w     io.Writer
	name  string
	total int64
	last  int // last percentage written, a multiple of progressStep
}

func (p *progressLines) update(n int64) {
	step := percent(n, p.total) / progressStep * progressStep
	if step <= p.last {
		return
	}
	p.last = step
	fmt.Fprintf(p.w, "%s: %d%% (%.1f/%.1f MiB)\n", p.name, step,
		float64(n)/(1<<20), float64(p.total)/(1<<20))
}

func (p *progressLines) done() {}
