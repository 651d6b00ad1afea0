package bench

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Limits on what ParseThroughput accepts, so a malformed file cannot make
// the plot do unbounded work.
const (
	MaxSeries = 16
	MaxPoints = 64 // per series
	maxLine   = 4096
)

// ErrBadReport is returned, wrapped, for a malformed throughput line.
var ErrBadReport = errors.New("bench: malformed throughput line")

// Point is one throughput measurement.
type Point struct {
	Bytes int64
	MBps  float64
}

// Series is one contender's throughput against payload size, by size.
type Series struct {
	Name   string
	Points []Point
}

// ParseThroughput reads the "throughput <series> <bytes> <MB/s>" lines of
// a report, ignoring all others, and returns the series in order of first
// appearance with points sorted by size. A size seen twice keeps the last.
func ParseThroughput(r io.Reader) ([]Series, error) {
	var out []Series
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 256), maxLine)
	for n := 1; s.Scan(); n++ {
		f := strings.Fields(s.Text())
		if len(f) == 0 || f[0] != "throughput" {
			continue
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("%w: line %d: want 4 fields", ErrBadReport, n)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size <= 0 {
			return nil, fmt.Errorf("%w: line %d: bad size", ErrBadReport, n)
		}
		v, err := strconv.ParseFloat(f[3], 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%w: line %d: bad throughput", ErrBadReport, n)
		}
		i := slices.IndexFunc(out, func(x Series) bool { return x.Name == f[1] })
		if i < 0 {
			if len(out) == MaxSeries {
				return nil, fmt.Errorf("%w: line %d: more than %d series", ErrBadReport, n, MaxSeries)
			}
			out = append(out, Series{Name: f[1]})
			i = len(out) - 1
		}
		pts := out[i].Points
		if j := slices.IndexFunc(pts, func(p Point) bool { return p.Bytes == size }); j >= 0 {
			pts[j].MBps = v
			continue
		}
		if len(pts) == MaxPoints {
			return nil, fmt.Errorf("%w: line %d: more than %d points", ErrBadReport, n, MaxPoints)
		}
		out[i].Points = append(pts, Point{size, v})
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReport, err)
	}
	for i := range out {
		slices.SortFunc(out[i].Points, func(a, b Point) int { return cmp.Compare(a.Bytes, b.Bytes) })
	}
	return out, nil
}

// Plot size and margins, in pixels.
const (
	plotW, plotH                     = 960, 600
	marginL, marginR, marginT, margB = 80, 220, 40, 60
)

var palette = []color.RGBA{
	{0x1f, 0x4e, 0xa8, 0xff}, {0x4f, 0x9b, 0xe8, 0xff}, // sealkit: blues
	{0x33, 0x33, 0x33, 0xff}, {0x99, 0x99, 0x99, 0xff}, // bare loop: greys
	{0xc0, 0x39, 0x2b, 0xff}, {0xf0, 0x8a, 0x7e, 0xff}, // tink: reds
	{0x27, 0x8e, 0x4b, 0xff}, {0x8c, 0xd1, 0x9d, 0xff}, // age: greens
}

// DrawPNG draws throughput (MB/s, linear) against payload size (log scale)
// for every series, with a legend, and writes it as a PNG.
func DrawPNG(w io.Writer, title string, series []Series) error {
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	minB, maxB, maxV := int64(math.MaxInt64), int64(0), 0.0
	for _, s := range series {
		for _, p := range s.Points {
			minB, maxB, maxV = min(minB, p.Bytes), max(maxB, p.Bytes), max(maxV, p.MBps)
		}
	}
	if maxB == 0 {
		return errors.New("bench: nothing to plot")
	}
	if maxB == minB {
		maxB = minB * 2
	}
	if maxV == 0 {
		maxV = 1
	}
	step := niceStep(maxV * 1.1 / 6)
	top := math.Ceil(maxV*1.05/step) * step
	x0, x1, y0, y1 := marginL, plotW-marginR, plotH-margB, marginT
	lx0, lx1 := math.Log2(float64(minB)), math.Log2(float64(maxB))
	px := func(b int64) int {
		return x0 + int(math.Round((math.Log2(float64(b))-lx0)/(lx1-lx0)*float64(x1-x0)))
	}
	py := func(v float64) int { return y0 - int(math.Round(v/top*float64(y0-y1))) }
	grid, axis, ink := color.RGBA{0xe4, 0xe4, 0xe4, 0xff}, color.RGBA{0x55, 0x55, 0x55, 0xff}, image.Black

	for v := 0.0; v <= top+step/2; v += step {
		y := py(v)
		hline(img, x0, x1, y, grid)
		label := strconv.FormatFloat(v, 'f', -1, 64)
		text(img, x0-8-width(label), y+4, label, ink)
	}
	var sizes []int64
	for _, s := range series {
		for _, p := range s.Points {
			if !slices.Contains(sizes, p.Bytes) {
				sizes = append(sizes, p.Bytes)
			}
		}
	}
	slices.Sort(sizes)
	lastX := -1 << 20
	for _, b := range sizes {
		x := px(b)
		vline(img, x, y1, y0, grid)
		if label := sizeName(int(min(b, math.MaxInt32))); x-lastX > width(label)+8 {
			text(img, x-width(label)/2, y0+18, label, ink)
			lastX = x
		}
	}
	hline(img, x0, x1, y0, axis)
	vline(img, x0, y1, y0, axis)
	text(img, (x0+x1)/2-width(title)/2, y1-16, title, ink)
	text(img, (x0+x1)/2-width("payload size (log scale)")/2, plotH-18, "payload size (log scale)", ink)
	text(img, 8, y1-16, "MB/s", ink)

	for i, s := range series {
		c := seriesColor(series, i)
		for j, p := range s.Points {
			x, y := px(p.Bytes), py(p.MBps)
			dot(img, x, y, 3, c)
			if j > 0 {
				q := s.Points[j-1]
				line(img, px(q.Bytes), py(q.MBps), x, y, c)
			}
		}
		ly := y1 + 10 + i*20
		line(img, x1+16, ly, x1+40, ly, c)
		dot(img, x1+28, ly, 3, c)
		text(img, x1+48, ly+4, s.Name, ink)
	}
	return png.Encode(w, img)
}

// seriesColor gives each contender (the name before "/") a hue and each
// of its operations a shade: seal dark, open light.
func seriesColor(series []Series, i int) color.RGBA {
	who := func(s Series) string { w, _, _ := strings.Cut(s.Name, "/"); return w }
	var seen []string
	shade := 0
	for j := 0; j <= i; j++ {
		w := who(series[j])
		if !slices.Contains(seen, w) {
			seen = append(seen, w)
		} else if j == i {
			shade = 1
		}
	}
	k := slices.Index(seen, who(series[i]))
	return palette[(2*k+shade)%len(palette)]
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func width(s string) int { return len(s) * 7 }

func text(img draw.Image, x, y int, s string, c image.Image) {
	d := font.Drawer{Dst: img, Src: c, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color) {
	for x := x0; x <= x1; x++ {
		img.Set(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.Color) {
	for y := y0; y <= y1; y++ {
		img.Set(x, y, c)
	}
}

func dot(img *image.RGBA, cx, cy, r int, c color.Color) {
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			if x*x+y*y <= r*r {
				img.Set(cx+x, cy+y, c)
			}
		}
	}
}

// line draws a two-pixel-wide segment (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		img.Set(x0, y0+1, c)
		img.Set(x0+1, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
