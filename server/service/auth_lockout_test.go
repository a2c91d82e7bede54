package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	// Long enough that five failed sign-ins (a password hash each, slow
	// under the race detector on a busy machine) fall inside it.
	cfg.LoginWindow = 8 * time.Second
	s := servertest.Start(t, cfg)
	victim := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	other := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	authc := hmbv1.NewAuthServiceClient(s.Conn)

	for i := range 5 {
		var e servertest.RestError
		if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": victim.User.Email, "password": "wrong-" + strconv.Itoa(i)}, &e); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	// Locked: even the right password, over both transports.
	var e servertest.RestError
	code, header := s.Call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": victim.User.Email, "password": servertest.Password}, &e)
	retry, _ := strconv.Atoi(header.Get("Retry-After"))
	if code != http.StatusTooManyRequests || e.Error.Reason != "TOO_MANY_LOGIN_ATTEMPTS" || retry < 1 || retry > 8 {
		t.Errorf("locked REST login: %d %+v Retry-After %q", code, e.Error, header.Get("Retry-After"))
	}
	if _, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: victim.User.Email, Password: servertest.Password}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("locked gRPC login: %v", err)
	}
	// Other accounts are unaffected.
	if _, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: other.User.Email, Password: servertest.Password}); err != nil {
		t.Errorf("another account: %v", err)
	}
	// Once the window passes, the right password works again.
	servertest.Eventually(t, 20*time.Second, "the lockout ends with its window", func() bool {
		_, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: victim.User.Email, Password: servertest.Password})
		return err == nil
	})
}

// outcome is how one sign-in or password change ended: "OK" or the error's
// reason, and the Retry-After of a refusal.
type outcome struct {
	reason string
	retry  time.Duration
}

func transportName(rest bool) string {
	if rest {
		return "REST"
	}
	return "gRPC"
}

// login signs in over REST or gRPC. It may run on any goroutine.
func login(t *testing.T, s *servertest.Service, rest bool, email, password string) outcome {
	t.Helper()
	if rest {
		return restOutcome(t, s, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
	}
	_, err := hmbv1.NewAuthServiceClient(s.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: email, Password: password})
	return grpcOutcome(err)
}

// changePassword changes the password of the token's user over REST or
// gRPC. It may run on any goroutine.
func changePassword(t *testing.T, s *servertest.Service, rest bool, token, current, next string) outcome {
	t.Helper()
	if rest {
		return restOutcome(t, s, "/api/v1/auth/change-password", token, map[string]any{"current_password": current, "new_password": next})
	}
	_, err := hmbv1.NewAuthServiceClient(s.Conn).ChangePassword(servertest.WithToken(token), &hmbv1.ChangePasswordRequest{CurrentPassword: current, NewPassword: next})
	return grpcOutcome(err)
}

func restOutcome(t *testing.T, s *servertest.Service, path, token string, body map[string]any) outcome {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.Base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Errorf("POST %s: %v", path, err)
		return outcome{reason: "TRANSPORT"}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return outcome{reason: "OK"}
	}
	var e servertest.RestError
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Errorf("POST %s: %d with a body that is not the error shape: %v", path, resp.StatusCode, err)
	}
	if e.Error.Reason == "TOO_MANY_LOGIN_ATTEMPTS" || e.Error.Reason == "TOO_MANY_ATTEMPTS_FROM_ADDRESS" {
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("POST %s: %s with status %d; want 429", path, e.Error.Reason, resp.StatusCode)
		}
	}
	secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	return outcome{reason: e.Error.Reason, retry: time.Duration(secs) * time.Second}
}

func grpcOutcome(err error) outcome {
	if err == nil {
		return outcome{reason: "OK"}
	}
	o := outcome{reason: servertest.Reason(err)}
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			o.retry = r.GetRetryDelay().AsDuration()
		}
	}
	return o
}

// burst runs n attempts at once and counts their outcomes by reason,
// checking that every refusal says when to retry, no later than within.
func burst(t *testing.T, n int, within time.Duration, attempt func(i int) outcome) map[string]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]int{}
	ready := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-ready
			o := attempt(i)
			if strings.HasPrefix(o.reason, "TOO_MANY_") && (o.retry <= 0 || o.retry > within) {
				t.Errorf("attempt %d: %s with retry after %s; want (0, %s]", i, o.reason, o.retry, within)
			}
			mu.Lock()
			got[o.reason]++
			mu.Unlock()
		})
	}
	close(ready)
	wg.Wait()
	return got
}

// holdLoginFailures locks the table of failed sign-ins, which every
// attempt reads and writes before its password is checked, until release.
// waiting counts the service's connections waiting for a lock meanwhile.
func holdLoginFailures(t *testing.T, databaseURL string) (waiting func() int, release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	// Closing the connection also releases the lock if the test stops early.
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "BEGIN; LOCK TABLE login_failures IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	waiting = func() int {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks
			WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	release = func() {
		if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
			t.Fatal(err)
		}
	}
	return waiting, release
}

// Simultaneous guesses for one account are counted before any password is
// checked: of 16 at once, exactly LOGIN_MAX_FAILURES are checked.
func TestLoginLockoutHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.LoginMaxFailures = 5
	// Long enough for a burst and its five password checks on a busy
	// machine under the race detector; the test waits it out once.
	cfg.LoginWindow = 8 * time.Second
	s := servertest.Start(t, cfg)
	for _, rest := range []bool{false, true} {
		t.Run(transportName(rest), func(t *testing.T) {
			t.Parallel()
			victim := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
			got := burst(t, 16, cfg.LoginWindow, func(i int) outcome {
				return login(t, s, rest, victim.User.Email, "wrong-guess-"+strconv.Itoa(i))
			})
			t.Logf("16 simultaneous wrong guesses: %v", got)
			want := map[string]int{"INVALID_CREDENTIALS": 5, "TOO_MANY_LOGIN_ATTEMPTS": 11}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("outcomes of 16 simultaneous wrong guesses (-want +got):\n%s", diff)
			}
			// Locked: the right password is refused over both transports.
			for _, rest := range []bool{false, true} {
				if o := login(t, s, rest, victim.User.Email, servertest.Password); o.reason != "TOO_MANY_LOGIN_ATTEMPTS" || o.retry <= 0 || o.retry > cfg.LoginWindow {
					t.Errorf("the right password after the burst, over %s: %+v; want TOO_MANY_LOGIN_ATTEMPTS", transportName(rest), o)
				}
			}
			servertest.Eventually(t, 30*time.Second, "the lockout ends with its window", func() bool {
				return login(t, s, rest, victim.User.Email, servertest.Password).reason == "OK"
			})
		})
	}
}

// One attempt of a burst carries the right password: whichever is checked
// first, no more than LOGIN_MAX_FAILURES passwords are checked. The burst
// is held at the database until all sixteen have reached it, so that none
// comes after the sign-in has ended, when a new attempt would rightly find
// the failures cleared.
func TestLoginLockoutHoldsWithTheRightPasswordInABurst(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	cfg := servertest.Config(url)
	cfg.LoginMaxFailures = 5
	cfg.LoginWindow = time.Minute
	// A connection for each attempt, so that all can wait in the database.
	cfg.DBMaxConns = 20
	s := servertest.Start(t, cfg)
	victim := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	waiting, release := holdLoginFailures(t, url)
	results := make(chan map[string]int, 1)
	go func() {
		results <- burst(t, 16, cfg.LoginWindow, func(i int) outcome {
			password := "wrong-guess-" + strconv.Itoa(i)
			if i == 7 {
				password = servertest.Password
			}
			return login(t, s, i%2 == 0, victim.User.Email, password)
		})
	}()
	servertest.Eventually(t, 30*time.Second, "all 16 attempts reach the database", func() bool { return waiting() == 16 })
	release()
	got := <-results
	t.Logf("16 simultaneous attempts, one right: %v", got)
	if checked := got["OK"] + got["INVALID_CREDENTIALS"]; checked > 5 || checked+got["TOO_MANY_LOGIN_ATTEMPTS"] != 16 || got["OK"] > 1 {
		t.Errorf("outcomes %v; want at most 5 checked passwords and the rest TOO_MANY_LOGIN_ATTEMPTS", got)
	}
}

// A password change checks the current password like a sign-in: the
// guesses count toward the account's lockout, and the right password
// clears the failures.
func TestChangePasswordCountsTowardLockout(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.LoginMaxFailures = 5
	s := servertest.Start(t, cfg)
	const next = "a brand new password"
	for _, rest := range []bool{false, true} {
		t.Run(transportName(rest)+"/guesses lock the account", func(t *testing.T) {
			t.Parallel()
			stolen := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
			for i := range 5 {
				if o := changePassword(t, s, rest, stolen.AccessToken, "guess-"+strconv.Itoa(i), next); o.reason != "INVALID_CURRENT_PASSWORD" {
					t.Fatalf("guess %d: %+v; want INVALID_CURRENT_PASSWORD", i, o)
				}
			}
			for _, rest := range []bool{false, true} {
				if o := changePassword(t, s, rest, stolen.AccessToken, servertest.Password, next); o.reason != "TOO_MANY_LOGIN_ATTEMPTS" || o.retry <= 0 {
					t.Errorf("the right current password over %s once locked: %+v; want TOO_MANY_LOGIN_ATTEMPTS", transportName(rest), o)
				}
				if o := login(t, s, rest, stolen.User.Email, servertest.Password); o.reason != "TOO_MANY_LOGIN_ATTEMPTS" {
					t.Errorf("sign-in over %s once locked: %+v; want TOO_MANY_LOGIN_ATTEMPTS", transportName(rest), o)
				}
			}
		})
		t.Run(transportName(rest)+"/the right password clears the failures", func(t *testing.T) {
			t.Parallel()
			user := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
			for i := range 4 {
				if o := login(t, s, rest, user.User.Email, "typo-"+strconv.Itoa(i)); o.reason != "INVALID_CREDENTIALS" {
					t.Fatalf("failure %d: %+v", i, o)
				}
			}
			if o := changePassword(t, s, rest, user.AccessToken, servertest.Password, next); o.reason != "OK" {
				t.Fatalf("change with the right password: %+v", o)
			}
			// Four more failures would lock the account had the first four
			// not been cleared.
			for i := range 4 {
				if o := login(t, s, rest, user.User.Email, "typo-again-"+strconv.Itoa(i)); o.reason != "INVALID_CREDENTIALS" {
					t.Fatalf("failure %d after the change: %+v; want INVALID_CREDENTIALS", i, o)
				}
			}
			if o := login(t, s, rest, user.User.Email, next); o.reason != "OK" {
				t.Errorf("sign-in with the new password: %+v", o)
			}
		})
	}
}

// An address over LOGIN_MAX_PER_ADDRESS is slowed down, not locked out:
// the people behind it still sign in with their passwords.
func TestLoginSlowsAnAddressInsteadOfLockingIt(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.LoginMaxPerAddress = 3
	cfg.LoginAddressInterval = 200 * time.Millisecond
	s := servertest.Start(t, cfg)
	users := map[bool]*hmbv1.AuthSession{false: s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER), true: s.Register(t, hmbv1.Role_ROLE_EMPLOYER)}
	// Someone without any password sprays guesses from the address every
	// test client shares, up to its limit.
	for i := range 3 {
		if o := login(t, s, i%2 == 0, servertest.NewEmail("spray"), "guess-"+strconv.Itoa(i)); o.reason != "INVALID_CREDENTIALS" {
			t.Fatalf("guess %d: %+v; want INVALID_CREDENTIALS", i, o)
		}
	}
	for _, rest := range []bool{false, true} {
		user := users[rest]
		if o := login(t, s, rest, user.User.Email, servertest.Password); o.reason != "OK" {
			t.Errorf("the right password over %s from the address: %+v; want a session", transportName(rest), o)
		}
		if o := login(t, s, rest, user.User.Email, "not my password"); o.reason != "INVALID_CREDENTIALS" {
			t.Errorf("a wrong password over %s from the address: %+v; want INVALID_CREDENTIALS", transportName(rest), o)
		}
		if o := login(t, s, rest, user.User.Email, servertest.Password); o.reason != "OK" {
			t.Errorf("the right password over %s after a typo: %+v; want a session", transportName(rest), o)
		}
	}
}

// Once an address is over its limit, it gets one attempt per
// LOGIN_ADDRESS_INTERVAL, however many it sends at once.
func TestLoginSpacesAttemptsOfAnAddressOverItsLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.LoginMaxPerAddress = 3
	// Longer than any request may wait, so an attempt that does not get the
	// slot at once is refused rather than kept waiting.
	cfg.LoginAddressInterval = time.Hour
	cfg.LoginWindow = 2 * time.Hour
	s := servertest.Start(t, cfg)
	for i := range 2 {
		if o := login(t, s, i%2 == 0, servertest.NewEmail("spray"), "guess"); o.reason != "INVALID_CREDENTIALS" {
			t.Fatalf("guess %d: %+v; want INVALID_CREDENTIALS", i, o)
		}
	}
	// The first of the burst reaches the limit; the others find the
	// address's next slot an hour away.
	got := burst(t, 8, cfg.LoginAddressInterval, func(i int) outcome {
		return login(t, s, i%2 == 0, servertest.NewEmail("burst"), "guess-"+strconv.Itoa(i))
	})
	t.Logf("8 simultaneous attempts from an address at its limit: %v", got)
	want := map[string]int{"INVALID_CREDENTIALS": 1, "TOO_MANY_ATTEMPTS_FROM_ADDRESS": 7}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes of 8 simultaneous attempts (-want +got):\n%s", diff)
	}
}
