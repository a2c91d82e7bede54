package ratelimit

import (
	"testing"
	"time"
)

func TestLimiterBuckets(t *testing.T) {
	l := New(1, 2)
	for i, want := range []bool{true, true, false} {
		if ok, wait := l.Allow("203.0.113.9"); ok != want || (!ok && (wait <= 0 || wait > time.Second)) {
			t.Errorf("request %d: allowed %v, wait %s", i+1, ok, wait)
		}
	}
	if ok, _ := l.Allow("203.0.113.10"); !ok {
		t.Error("a second client shares the first one's bucket")
	}
	// One IPv6 subscriber's /64 is one client.
	l.Allow("2001:db8:1:2::1")
	l.Allow("2001:db8:1:2::2")
	if ok, _ := l.Allow("2001:db8:1:2::3"); ok {
		t.Error("a /64 walked its addresses past the limit")
	}
	if ok, _ := l.Allow("2001:db8:1:3::1"); !ok {
		t.Error("the next /64 was limited")
	}
	var off *Limiter = New(0, 0)
	if ok, _ := off.Allow("x"); !ok {
		t.Error("a zero rate limited")
	}
}
