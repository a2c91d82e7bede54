package servertest

import (
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families is a parsed scrape.
type Families map[string]*dto.MetricFamily

// Scrape reads the metrics at url.
func Scrape(t *testing.T, url string) Families {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	return fams
}

// Find returns the one series of name whose labels include want, or nil.
func (f Families) Find(t *testing.T, name string, want map[string]string) *dto.Metric {
	t.Helper()
	var found *dto.Metric
	for _, m := range f[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if have[k] != v {
				match = false
			}
		}
		if match {
			if found != nil {
				t.Fatalf("%s%v matches more than one series", name, want)
			}
			found = m
		}
	}
	return found
}

// Value is a counter's or gauge's value, 0 when the series is absent.
func (f Families) Value(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	m := f.Find(t, name, labels)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	t.Fatalf("%s is neither a counter nor a gauge", name)
	return 0
}

func (f Families) HistogramCount(t *testing.T, name string, labels map[string]string) uint64 {
	t.Helper()
	return f.Find(t, name, labels).GetHistogram().GetSampleCount()
}
