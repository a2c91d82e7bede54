package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/sony/gobreaker/v2"
)

// Circuit breaker on connecting to the database. When connections keep
// failing, the pool stops dialling for a while: requests that need a new
// connection fail at once with DATABASE_UNAVAILABLE instead of each waiting
// out a connect timeout, and a database on its way back up is not met by
// every waiting request at once. One dial at a time tests it again.
const (
	breakerTrips    = 3               // consecutive failed dials that open the circuit
	breakerCooldown = 1 * time.Second // how long it stays open before one dial may test it
)

// errCircuitOpen is the dial error while the circuit is open.
var errCircuitOpen = errors.New("not connecting: recent connection attempts to the database failed")

// breakingDialer wraps dial in a circuit breaker.
func breakingDialer(dial pgconn.DialFunc, log *slog.Logger) pgconn.DialFunc {
	cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "database",
		MaxRequests: 1,
		Timeout:     breakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= breakerTrips },
		// A caller that gave up says nothing about the database.
		IsSuccessful: func(err error) bool { return err == nil || errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			level := slog.LevelInfo
			if to == gobreaker.StateOpen {
				level = slog.LevelWarn
			}
			log.Log(context.Background(), level, "database circuit "+to.String(), "was", from.String())
		},
	})
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		done, err := cb.Allow()
		if err != nil {
			return nil, fmt.Errorf("%w (%w)", errCircuitOpen, err)
		}
		conn, err := dial(ctx, network, addr)
		done(err)
		return conn, err
	}
}
