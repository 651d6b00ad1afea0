package cli

import (
	"fmt"
	"io"
	"strings"
)

// progressThreshold: files at least this large get a progress bar.
const progressThreshold = 1 << 20

// progressBar draws "name [#####-----]  50%  1.0/2.0 MiB" on one line of w,
// redrawn at each whole percent.
type progressBar struct {
	w     io.Writer
	name  string
	total int64
	last  int
}

func newProgressBar(w io.Writer, name string, total int64) *progressBar {
	return &progressBar{w: w, name: name, total: total, last: -1}
}

func (p *progressBar) update(n int64) {
	pct := int(n * 100 / max(p.total, 1))
	if pct == p.last || pct > 100 {
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
