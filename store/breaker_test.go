package store

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"
)

func TestBreakingDialerStopsDiallingADeadDatabase(t *testing.T) {
	refused := errors.New("connection refused")
	var dials int
	up := false
	dial := breakingDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials++
		if up {
			client, server := net.Pipe()
			server.Close()
			return client, nil
		}
		return nil, refused
	}, slog.New(slog.DiscardHandler))
	ctx := context.Background()

	for i := range breakerTrips {
		if _, err := dial(ctx, "tcp", "db:5432"); !errors.Is(err, refused) {
			t.Fatalf("dial %d: %v; want the dial's own error", i+1, err)
		}
	}
	// Open: no dial at all.
	for range 5 {
		if _, err := dial(ctx, "tcp", "db:5432"); !errors.Is(err, errCircuitOpen) {
			t.Fatalf("open circuit: %v", err)
		}
	}
	if dials != breakerTrips {
		t.Errorf("%d dials; want %d", dials, breakerTrips)
	}
	// After the cooldown one dial tests the database; it is back.
	time.Sleep(breakerCooldown + 50*time.Millisecond)
	up = true
	for range 3 {
		conn, err := dial(ctx, "tcp", "db:5432")
		if err != nil {
			t.Fatalf("after recovery: %v", err)
		}
		conn.Close()
	}
	// A caller giving up does not count against the database.
	up = false
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	canceller := breakingDialer(func(ctx context.Context, _, _ string) (net.Conn, error) { return nil, ctx.Err() }, slog.New(slog.DiscardHandler))
	for range breakerTrips + 2 {
		if _, err := canceller(cancelled, "tcp", "db:5432"); errors.Is(err, errCircuitOpen) {
			t.Fatal("cancelled dials opened the circuit")
		}
	}
}
