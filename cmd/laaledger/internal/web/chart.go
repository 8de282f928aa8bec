package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// The trajectory chart: an SVG drawn on the server, so it prints, needs no
// script and reads the same in every browser. It is drawn from plain
// series, one point per year of the agreement.

type point struct {
	Year  int // index into the chart's years
	Value float64
}

type series struct {
	Name   string
	Points []point
}

// chart is what the template embeds: the SVG markup and a text summary
// for its accessible name.
type chart struct {
	SVG     template.HTML
	Summary string
	Empty   bool
}

const (
	chartW, chartH               = 720, 320
	padL, padR, padT, padB       = 64, 24, 24, 72
	plotW                        = chartW - padL - padR
	plotH                        = chartH - padT - padB
	legendY                      = chartH - 24
	proposalClass, agreedClass   = "proposal", "agreed"
	outturnClass                 = "outturn"
	proposalColour, agreedColour = "#6b6b6b", "#1d4f91"
	outturnColour                = "#b34700"
)

// drawChart draws proposals (thin dashed lines), the agreed trajectory (a
// thick line) and outturns (points joined by a line) over the years.
func drawChart(years []string, proposals []series, agreed, outturns series) chart {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range append([]series{agreed, outturns}, proposals...) {
		for _, p := range s.Points {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
	}
	if len(years) == 0 || math.IsInf(lo, 1) {
		return chart{Empty: true, Summary: "No values have been proposed for this target."}
	}
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	span := hi - lo
	lo, hi = lo-span*0.1, hi+span*0.1
	x := func(i int) float64 {
		if len(years) == 1 {
			return padL + plotW/2
		}
		return padL + float64(i)*plotW/float64(len(years)-1)
	}
	y := func(v float64) float64 { return padT + (hi-v)/(hi-lo)*plotH }
	var b strings.Builder
	// Escaping: every text that reaches the SVG is a year label or a number
	// formatted here, but years come from the ledger, so escape them too.
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="chart-title chart-desc" class="chart">`, chartW, chartH)
	b.WriteString(`<title id="chart-title">Proposed and agreed trajectory and outturns</title>`)
	summary := chartSummary(years, proposals, agreed, outturns)
	fmt.Fprintf(&b, `<desc id="chart-desc">%s</desc>`, esc(summary))
	// Axes and grid: five horizontal lines with their values.
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d0d0d0" stroke-width="1"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="12" fill="#333">%s</text>`, padL-6, y(v)+4, esc(num(math.Round(v*100)/100)))
	}
	for i, yr := range years {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="12" fill="#333">%s</text>`, x(i), chartH-padB+18, esc(yr))
	}
	line := func(s series, colour string, width float64, dash, class string) {
		if len(s.Points) == 0 {
			return
		}
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Year), y(p.Value)))
		}
		dashAttr := ""
		if dash != "" {
			dashAttr = ` stroke-dasharray="` + dash + `"`
		}
		fmt.Fprintf(&b, `<g class="%s"><title>%s</title>`, class, esc(s.Name))
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%.1f"%s/>`, strings.Join(pts, " "), colour, width, dashAttr)
		}
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>%s %s: %s</title></circle>`,
				x(p.Year), y(p.Value), width+1.5, colour, esc(s.Name), esc(years[p.Year]), esc(num(p.Value)))
		}
		b.WriteString(`</g>`)
	}
	for _, p := range proposals {
		line(p, proposalColour, 1.2, "4 3", proposalClass)
	}
	line(agreed, agreedColour, 3, "", agreedClass)
	line(outturns, outturnColour, 2, "1 3", outturnClass)
	// Legend.
	for i, l := range []struct{ name, colour, dash string }{
		{"Proposals and counter-proposals", proposalColour, "4 3"},
		{"Agreed trajectory", agreedColour, ""},
		{"Outturns (latest figures)", outturnColour, "1 3"},
	} {
		lx := padL + []int{0, 270, 440}[i]
		dashAttr := ""
		if l.dash != "" {
			dashAttr = ` stroke-dasharray="` + l.dash + `"`
		}
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"%s/>`, lx, lx+28, legendY, legendY, l.colour, dashAttr)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#333">%s</text>`, lx+34, legendY+4, l.name)
	}
	b.WriteString(`</svg>`)
	// The markup is built above from escaped text and numbers only.
	return chart{SVG: template.HTML(b.String()), Summary: summary}
}

func chartSummary(years []string, proposals []series, agreed, outturns series) string {
	desc := func(s series) string {
		var parts []string
		for _, p := range s.Points {
			parts = append(parts, years[p.Year]+" "+num(p.Value))
		}
		if len(parts) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%d proposals and counter-proposals; agreed trajectory: %s; outturns: %s.", len(proposals), desc(agreed), desc(outturns))
}
