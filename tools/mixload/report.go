package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

type report struct {
	rate          int
	duration      time.Duration
	elapsed       time.Duration
	endpoints     []*endpoint
	before, after process
	samples       []sample
}

// write prints the summary and writes report.md with its charts into dir.
func (r report) write(dir string) error {
	var b strings.Builder
	var total, failed int
	var all []time.Duration
	for _, e := range r.endpoints {
		slices.Sort(e.latencies)
		total += len(e.latencies)
		failed += e.failed
		all = append(all, e.latencies...)
	}
	slices.Sort(all)

	fmt.Fprintf(&b, "# Mixed load: %d requests/s for %s\n\n", r.rate, r.duration)
	fmt.Fprintf(&b, "%d requests in %s (%.0f/s achieved), %d failed (error rate %.3f%%).\n\n",
		total, r.elapsed.Round(time.Millisecond), float64(total)/r.elapsed.Seconds(), failed, 100*float64(failed)/float64(max(total, 1)))
	fmt.Fprintf(&b, "| endpoint | requests | share | errors | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, lat []time.Duration, errs int) {
		fmt.Fprintf(&b, "| %s | %d | %.1f%% | %d | %s | %s | %s | %s |\n", name, len(lat), 100*float64(len(lat))/float64(max(total, 1)), errs,
			ms(percentile(lat, 0.50)), ms(percentile(lat, 0.95)), ms(percentile(lat, 0.99)), ms(percentile(lat, 1)))
	}
	for _, e := range r.endpoints {
		row(e.name, e.latencies, e.failed)
	}
	row("**all**", all, failed)

	fmt.Fprintf(&b, "\n| the service | before | after |\n|---|---:|---:|\n")
	fmt.Fprintf(&b, "| resident memory | %s | %s |\n", mb(r.before.rssKB), mb(r.after.rssKB))
	fmt.Fprintf(&b, "| peak resident memory | %s | %s |\n", mb(r.before.peakKB), mb(r.after.peakKB))
	fmt.Fprintf(&b, "| goroutines | %d | %d |\n", r.before.goroutines, r.after.goroutines)

	for _, e := range r.endpoints {
		if len(e.errors) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\nFailures of %s:\n", e.name)
		for msg, n := range e.errors {
			fmt.Fprintf(&b, "- %d × %s\n", n, msg)
		}
	}

	fmt.Fprintf(&b, "\n## Latency by percentile\n\n![all endpoints](latency-all.svg)\n")
	if err := percentileChart(filepath.Join(dir, "latency-all.svg"), "All endpoints", r.endpoints); err != nil {
		return err
	}
	for _, e := range r.endpoints {
		file := "latency-" + slug(e.name) + ".svg"
		if err := percentileChart(filepath.Join(dir, file), e.name, []*endpoint{e}); err != nil {
			return err
		}
		fmt.Fprintf(&b, "\n![%s](%s)\n", e.name, file)
	}
	if len(r.samples) > 2 {
		if err := processChart(filepath.Join(dir, "process.svg"), r.samples); err != nil {
			return err
		}
		fmt.Fprintf(&b, "\n## Memory and goroutines over the run\n\n![process](process.svg)\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(b.String()[:strings.Index(b.String(), "\n## Latency")])
	fmt.Printf("\nreport and charts: %s\n", filepath.Join(dir, "report.md"))
	return nil
}

// The x axis of a percentile chart spreads the tail: a point at quantile q
// sits at 1/(1-q), on a log scale, so 90%, 99% and 99.9% are evenly apart.
var quantiles = []float64{0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999}

func percentileChart(file, title string, endpoints []*endpoint) error {
	p := plot.New()
	p.Title.Text = title + ": latency by percentile"
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency (ms)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks{
		{Value: 1, Label: "min"}, {Value: 2, Label: "p50"}, {Value: 10, Label: "p90"}, {Value: 100, Label: "p99"},
		{Value: 1000, Label: "p99.9"}, {Value: 10000, Label: "p99.99"},
	}
	// Latencies span orders of magnitude: a log scale shows the fast and
	// the slow alike.
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	for i, e := range endpoints {
		var xys plotter.XYs
		for _, q := range quantiles {
			if len(e.latencies) < int(1/(1-q)) && q > 0.5 {
				break // too few samples to say
			}
			xys = append(xys, plotter.XY{X: 1 / (1 - q), Y: max(0.01, float64(percentile(e.latencies, q).Microseconds())/1000)})
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(e.name, line, points)
	}
	// Bottom right is where no line goes: the tail sits high.
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
	p.X.Min, p.X.Max = 1, 20000
	return p.Save(8*vg.Inch, 4.5*vg.Inch, file)
}

func processChart(file string, samples []sample) error {
	p := plot.New()
	p.Title.Text = "Resident memory (MB) and goroutines over the run"
	p.X.Label.Text = "seconds"
	p.Add(plotter.NewGrid())
	var rss, goroutines plotter.XYs
	for _, s := range samples {
		rss = append(rss, plotter.XY{X: s.at.Seconds(), Y: float64(s.process.rssKB) / 1024})
		goroutines = append(goroutines, plotter.XY{X: s.at.Seconds(), Y: float64(s.process.goroutines)})
	}
	if err := plotutil.AddLinePoints(p, "resident memory, MB", rss, "goroutines", goroutines); err != nil {
		return err
	}
	p.Y.Min = 0
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = vg.Points(8)
	return p.Save(8*vg.Inch, 4*vg.Inch, file)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func mb(kb int64) string {
	if kb == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB", float64(kb)/1024)
}

func slug(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}
