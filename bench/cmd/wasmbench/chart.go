package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
	grey  = color.RGBA{200, 200, 200, 255}
	dark  = color.RGBA{90, 90, 90, 255}
	green = color.RGBA{60, 160, 80, 255}
	red   = color.RGBA{210, 60, 50, 255}
	blue  = color.RGBA{80, 120, 180, 255}
)

const (
	chartW   = 1400
	labelW   = 660 // label column
	plotL    = 670
	plotR    = 1230
	valueX   = 1240
	rowH     = 26
	headerH  = 70
	footerH  = 40
	textSize = 2 // glyph scale: 10x14 pixels, 12 pixels apart
)

// writeChart draws every "x" ratio as a bar on a log axis starting at 1x:
// green when it meets its target, red when not, blue when it has none; the
// target is a black tick.
func writeChart(path string, res *results) error {
	var rows []ratio
	for _, r := range res.Ratios {
		if r.Unit == "x" && r.Value > 0 {
			rows = append(rows, r)
		}
	}
	lo, hi := 0.5, 2.0
	for _, r := range rows {
		lo, hi = math.Min(lo, r.Value/1.3), math.Max(hi, r.Value*1.3)
		if r.Target > 0 {
			lo, hi = math.Min(lo, r.Target/1.3), math.Max(hi, r.Target*1.3)
		}
	}
	x := func(v float64) int {
		f := (math.Log10(v) - math.Log10(lo)) / (math.Log10(hi) - math.Log10(lo))
		return plotL + int(f*float64(plotR-plotL))
	}
	h := headerH + len(rows)*rowH + footerH
	img := image.NewRGBA(image.Rect(0, 0, chartW, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)

	drawText(img, 10, 10, "wasm-runc bench: ratios, runtimes interleaved in one run", textSize, black)
	drawText(img, 10, 34, fmt.Sprintf("%s  load %s  median of per-round ratios; log scale, bars start at 1x; green: target met, red: missed; | target", res.Meta.Date, res.Meta.LoadStart), 1, dark)
	drawText(img, 10, 50, "time ratios: lower is better; cold/warm and containers/s: higher is better", 1, dark)

	top, bottom := headerH, headerH+len(rows)*rowH
	for _, g := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000} {
		if g < lo || g > hi {
			continue
		}
		c := grey
		if g == 1 {
			c = dark
		}
		fillRect(img, x(g), top, 1, bottom-top, c)
		label := fmt.Sprintf("%gx", g)
		drawText(img, x(g)-len(label)*6/2, bottom+6, label, 1, dark)
	}
	for i, r := range rows {
		y := top + i*rowH
		if i%2 == 1 {
			fillRect(img, 0, y, chartW, rowH, color.RGBA{246, 246, 246, 255})
			fillRect(img, x(1), y, 1, rowH, dark)
		}
		drawText(img, 10, y+6, r.Name, textSize, black)
		c := blue
		if r.Met != nil {
			c = red
			if *r.Met {
				c = green
			}
		}
		x0, x1 := x(1), x(r.Value)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		fillRect(img, x0, y+5, max(1, x1-x0), rowH-10, c)
		if r.Target > 0 {
			fillRect(img, x(r.Target)-1, y+2, 3, rowH-4, black)
		}
		drawText(img, valueX, y+6, r.valueText(), textSize, black)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fillRect(img *image.RGBA, x, y, w, h int, c color.RGBA) {
	draw.Draw(img, image.Rect(x, y, x+w, y+h), &image.Uniform{c}, image.Point{}, draw.Src)
}

// drawText draws s with the 5x7 font, each pixel a scale x scale square.
func drawText(img *image.RGBA, x, y int, s string, scale int, c color.RGBA) {
	for _, ch := range s {
		g, ok := glyphs[ch]
		if !ok {
			g = glyphs['?']
		}
		for row := 0; row < 7; row++ {
			for col := 0; col < 5; col++ {
				if g[row]&(0x10>>col) != 0 {
					fillRect(img, x+col*scale, y+row*scale, scale, scale, c)
				}
			}
		}
		x += 6 * scale
	}
}
