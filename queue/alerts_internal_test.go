package queue

import (
	"testing"
	"time"
)

func TestAlertSchedules(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	nassau := time.FixedZone("EST", -5*3600)
	for _, tc := range []struct {
		name     string
		schedule interface{ Next(time.Time) time.Time }
		from     time.Time
		want     string
	}{
		{"daily, before the hour", dailyAt{13}, at("2026-12-02T09:00:00Z"), "2026-12-02T13:00:00Z"},
		{"daily, at the hour", dailyAt{13}, at("2026-12-02T13:00:00Z"), "2026-12-03T13:00:00Z"},
		{"daily, from another zone", dailyAt{13}, at("2026-12-02T13:30:00Z").In(nassau), "2026-12-03T13:00:00Z"},
		{"daily, at the end of a month", dailyAt{13}, at("2026-12-31T20:00:00Z"), "2027-01-01T13:00:00Z"},
		{"weekly, on a Wednesday", weeklyAt{time.Monday, 13}, at("2026-12-02T09:00:00Z"), "2026-12-07T13:00:00Z"},
		{"weekly, on the Monday before", weeklyAt{time.Monday, 13}, at("2026-12-07T12:59:00Z"), "2026-12-07T13:00:00Z"},
		{"weekly, on the Monday after", weeklyAt{time.Monday, 13}, at("2026-12-07T13:00:00Z"), "2026-12-14T13:00:00Z"},
	} {
		if got := tc.schedule.Next(tc.from); !got.Equal(at(tc.want)) {
			t.Errorf("%s: %s; want %s", tc.name, got, tc.want)
		}
	}
}
